// kubectl describe service (describeService in k8s.io/kubectl/pkg/describe/describe.go, v1.32): the
// Service's addresses and ports, each port's ready endpoints from its EndpointSlices, and its events.

import { resourceForKind } from '../../api/resources.js';
import type { Event, Service } from '../../api/types.js';
import type { KubeClient } from '../client/kube.js';
import { describeEvents, PrefixWriter, printAnnotationsMultiline, printLabelsMultiline } from './writer.js';

interface SliceLike {
  ports?: { name?: string; port?: number }[] | null;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

/** formatEndpointSlices: up to three ready `ip:port`, then `+ N more...`; `<none>` without slices. */
export function formatEndpointSlices(slices: SliceLike[], portName: string): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (text: string, ready: boolean) => {
    if (list.length === 3) more = true;
    if (!ready) return;
    if (!more) list.push(text);
    count++;
  };
  for (const s of slices) {
    const ready = (e: { conditions?: { ready?: boolean } }) => e.conditions?.ready !== false;
    if (!s.ports?.length) {
      for (const e of s.endpoints ?? []) add(e.addresses[0] ?? '', ready(e));
      continue;
    }
    for (const p of s.ports) {
      if ((p.name ?? '') !== portName) continue;
      for (const e of s.endpoints ?? []) {
        const addr = e.addresses[0] ?? '';
        add(`${addr.includes(':') ? `[${addr}]` : addr}:${p.port}`, ready(e));
      }
    }
  }
  const text = list.join(',');
  return more ? `${text} + ${count - 3} more...` : text;
}

function formatLabels(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${m![k]}`).join(',');
}

export async function describeService(
  svc: Service,
  events: Event[] | undefined,
  client: KubeClient,
  now: number,
): Promise<string> {
  const slices = (
    await client.list(
      resourceForKind('discovery.k8s.io/v1', 'EndpointSlice')!,
      svc.metadata?.namespace ?? 'default',
      {
        labelSelector: `kubernetes.io/service-name=${svc.metadata?.name}`,
      },
    )
  ).items as unknown as SliceLike[];
  const w = new PrefixWriter();
  const spec = svc.spec ?? {};
  w.write(0, `Name:\t${svc.metadata?.name ?? ''}\n`);
  w.write(0, `Namespace:\t${svc.metadata?.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', svc.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', svc.metadata?.annotations);
  w.write(0, `Selector:\t${formatLabels(spec.selector)}\n`);
  w.write(0, `Type:\t${spec.type ?? ''}\n`);
  if (spec.ipFamilyPolicy) w.write(0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  w.write(0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}\n`);
  w.write(0, `IP:\t${spec.clusterIP ?? ''}\n`);
  w.write(0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}\n`);
  if (spec.externalIPs?.length) w.write(0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
  if (spec.externalName) w.write(0, `External Name:\t${spec.externalName}\n`);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length)
    w.write(0, `LoadBalancer Ingress:\t${ingress.map((i) => i.ip || i.hostname || '').join(', ')}\n`);
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    w.write(0, `Port:\t${name}\t${p.port}/${p.protocol ?? ''}\n`);
    w.write(0, `TargetPort:\t${String(p.targetPort ?? '')}/${p.protocol ?? ''}\n`);
    if (p.nodePort) w.write(0, `NodePort:\t${name}\t${p.nodePort}/${p.protocol ?? ''}\n`);
    w.write(0, `Endpoints:\t${formatEndpointSlices(slices, p.name ?? '')}\n`);
  }
  w.write(0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
  if (spec.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy) w.write(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
  if (spec.loadBalancerSourceRanges?.length)
    w.write(0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}\n`);
  describeEvents(events, w, now);
  return w.text();
}
