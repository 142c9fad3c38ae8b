// kubectl describe configmap and secret (ConfigMapDescriber, describeSecret in k8s.io/kubectl/pkg/describe/
// describe.go, v1.32). kubectl walks the data in Go's map order, which is random from one run to the next;
// podrun sorts the keys, which is one of the orders kubectl prints.
import type { ConfigMap, Event, Secret } from '../../api/types.js';
import { describeEvents, PrefixWriter, printAnnotationsMultiline, printLabelsMultiline } from './writer.js';

export function describeConfigMap(cm: ConfigMap, events: Event[] | undefined, now: number): string {
  const w = new PrefixWriter();
  w.write(0, `Name:\t${cm.metadata?.name ?? ''}\n`);
  w.write(0, `Namespace:\t${cm.metadata?.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', cm.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', cm.metadata?.annotations);
  w.write(0, '\nData\n====\n');
  for (const k of Object.keys(cm.data ?? {}).sort()) {
    w.write(0, `${k}:\n----\n`);
    w.write(0, `${cm.data![k]}\n`);
    w.write(0, '\n');
  }
  w.write(0, '\nBinaryData\n====\n');
  for (const k of Object.keys(cm.binaryData ?? {}).sort()) {
    w.write(0, `${k}: ${Buffer.from(cm.binaryData![k]!, 'base64').length} bytes\n`);
  }
  w.write(0, '\n');
  describeEvents(events, w, now);
  return w.text();
}

export function describeSecret(secret: Secret): string {
  const w = new PrefixWriter();
  w.write(0, `Name:\t${secret.metadata?.name ?? ''}\n`);
  w.write(0, `Namespace:\t${secret.metadata?.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', secret.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', secret.metadata?.annotations);
  w.write(0, `\nType:\t${secret.type ?? ''}\n`);
  w.write(0, '\nData\n====\n');
  for (const k of Object.keys(secret.data ?? {}).sort()) {
    const bytes = Buffer.from(secret.data![k]!, 'base64');
    // A service account token is shown; any other value only by its size.
    if (k === 'token' && secret.type === 'kubernetes.io/service-account-token') {
      w.write(0, `${k}:\t${bytes.toString('utf8')}\n`);
    } else {
      w.write(0, `${k}:\t${bytes.length} bytes\n`);
    }
  }
  return w.text();
}
