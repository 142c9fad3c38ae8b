import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { validateObject } from '../../src/api/validation/index.js';
import { app, messages, pod } from './helpers.js';

const SUBDOMAIN_DETAIL =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_DETAIL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('object metadata', () => {
  test('a valid pod has no errors', () => {
    assert.deepEqual(messages(pod({ containers: [app()] })), []);
  });

  test('a pod name must be a DNS-1123 subdomain, in upstream wording', () => {
    assert.deepEqual(messages(pod({ containers: [app()] }, 'Web_1')), [
      `metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_DETAIL}`,
    ]);
  });

  test('name or generateName is required, and generateName alone is enough', () => {
    const noName: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: [app()] } };
    assert.deepEqual(messages(noName), ['metadata.name: Required value: name or generateName is required']);
    noName.metadata.generateName = 'web-';
    assert.deepEqual(messages(noName), []);
  });

  test('a Service name must be a DNS-1035 label and a Namespace name a DNS-1123 label', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: '1web' },
      spec: { ports: [{ port: 80 }] },
    };
    assert.deepEqual(messages(svc), [
      `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } };
    assert.deepEqual(messages(ns), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  });

  test('a cluster-scoped object may not have a namespace', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev', namespace: 'x' } };
    assert.deepEqual(messages(ns), ['metadata.namespace: Forbidden: not allowed on this type']);
  });

  test('label keys and values are checked at metadata.labels with the qualified-name wording', () => {
    const p = pod({ containers: [app()] });
    p.metadata.labels = { 'a/b/c': 'x', ok: 'bad value' };
    assert.deepEqual(messages(p), [
      `metadata.labels: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      `metadata.labels: Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ]);
  });

  test('annotation keys are case-insensitive qualified names with a DNS prefix', () => {
    const p = pod({ containers: [app()] });
    p.metadata.annotations = { 'Example.com/Ok': 'x', '_bad.io/x': 'y' };
    assert.deepEqual(messages(p), [
      `metadata.annotations: Invalid value: "_bad.io/x": prefix part ${SUBDOMAIN_DETAIL}`,
    ]);
  });
});

describe('containers', () => {
  test('a container needs an image', () => {
    assert.deepEqual(messages(pod({ containers: [{ name: 'app' }] })), [
      'spec.containers[0].image: Required value',
    ]);
  });

  test('a pod needs at least one container', () => {
    assert.deepEqual(messages(pod({ containers: [] })), ['spec.containers: Required value']);
  });

  test('a container name must be a DNS-1123 label', () => {
    assert.deepEqual(messages(pod({ containers: [app({ name: 'App' })] })), [
      `spec.containers[0].name: Invalid value: "App": ${LABEL_DETAIL}`,
    ]);
  });

  test('container names are unique across init and app containers, reported on the init container', () => {
    assert.deepEqual(messages(pod({ initContainers: [app()], containers: [app()] })), [
      'spec.initContainers[0].name: Duplicate value: "app"',
    ]);
    assert.deepEqual(messages(pod({ containers: [app(), app()] })), [
      'spec.containers[1].name: Duplicate value: "app"',
    ]);
  });

  test('regular init containers may not have lifecycle or probes', () => {
    const probe = { exec: { command: ['true'] } };
    const init = app({
      name: 'init',
      lifecycle: { postStart: probe },
      livenessProbe: probe,
      readinessProbe: probe,
      startupProbe: probe,
    });
    assert.deepEqual(messages(pod({ initContainers: [init], containers: [app()] })), [
      'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
  });

  test('a sidecar (restartPolicy Always) may have probes and lifecycle, which are then validated', () => {
    const sidecar = app({
      name: 'side',
      restartPolicy: 'Always',
      startupProbe: { tcpSocket: { port: 70000 } },
      lifecycle: { preStop: { sleep: { seconds: 5 } } },
    });
    assert.deepEqual(messages(pod({ initContainers: [sidecar], containers: [app()] })), [
      'spec.initContainers[0].startupProbe.tcpSocket.port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]);
  });

  test('restartPolicy is allowed only on init containers, and only Always', () => {
    assert.deepEqual(messages(pod({ containers: [app({ restartPolicy: 'Always' })] })), [
      'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
    ]);
    assert.deepEqual(
      messages(
        pod({ initContainers: [app({ name: 'i', restartPolicy: 'OnFailure' })], containers: [app()] }),
      ),
      ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    );
  });

  test('a probe needs exactly one handler', () => {
    const none = app({ livenessProbe: { periodSeconds: 5 } });
    assert.deepEqual(messages(pod({ containers: [none] })), [
      'spec.containers[0].livenessProbe: Required value: must specify a handler type',
    ]);
    const two = app({ readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } });
    assert.deepEqual(messages(pod({ containers: [two] })), [
      'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    ]);
  });

  test('probe numbers are checked: negatives, liveness successThreshold 1, readiness without grace period', () => {
    const c = app({
      livenessProbe: { exec: { command: ['true'] }, successThreshold: 2, initialDelaySeconds: -1 },
      readinessProbe: { httpGet: { port: 'http-port-name-too-long' }, terminationGracePeriodSeconds: 5 },
    });
    assert.deepEqual(messages(pod({ containers: [c] })), [
      'spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "http-port-name-too-long": must be no more than 15 characters',
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes',
    ]);
  });

  test('container ports must be in 1-65535 with a supported protocol and unique names', () => {
    const c = app({
      ports: [
        { name: 'web', containerPort: 0 },
        { name: 'web', containerPort: 70000, protocol: 'tcp' },
        { containerPort: 80, hostPort: -1 },
      ],
    });
    assert.deepEqual(messages(pod({ containers: [c] })), [
      'spec.containers[0].ports[0].containerPort: Required value',
      'spec.containers[0].ports[1].name: Duplicate value: "web"',
      'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].ports[2].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive',
    ]);
  });

  test('imagePullPolicy and terminationMessagePolicy are enums', () => {
    const c = app({ imagePullPolicy: 'Sometimes', terminationMessagePolicy: 'Logs' });
    assert.deepEqual(messages(pod({ containers: [c] })), [
      'spec.containers[0].terminationMessagePolicy: Unsupported value: "Logs": supported values: "File", "FallbackToLogsOnError"',
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    ]);
  });

  test('resource requests may not exceed limits, quantities are non-negative and names standard', () => {
    const c = app({
      resources: {
        limits: { cpu: '500m', memory: '128Mi', gpu: '1' },
        requests: { cpu: '1', memory: '-1Mi' },
      },
    });
    assert.deepEqual(messages(pod({ containers: [c] })), [
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m',
      'spec.containers[0].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
      // Defaulting copied the gpu limit into requests (pods only), so it is reported there too.
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]);
    const ok = app({
      resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m', memory: '1024Mi' } },
    });
    assert.deepEqual(messages(pod({ containers: [ok] })), []);
  });

  test('env names are checked and valueFrom needs exactly one source and no value', () => {
    const c = app({
      env: [
        { name: '1BAD', value: 'x' },
        { name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        { name: 'B', valueFrom: {} },
        { name: 'C', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'bad key' } } },
      ],
    });
    assert.deepEqual(messages(pod({ containers: [c] })), [
      `spec.containers[0].env[0].name: Invalid value: "1BAD": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
      'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      `spec.containers[0].env[3].valueFrom.configMapKeyRef.key: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    ]);
  });

  test('a downward API env var must name a supported field, or one label or annotation by a valid key', () => {
    const labelRef = app({
      name: 'l',
      env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }],
    });
    assert.deepEqual(messages(pod({ containers: [labelRef] })), []);
    const badKey = app({
      name: 'k',
      env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: "metadata.labels['-x']" } } }],
    });
    assert.match(
      messages(pod({ containers: [badKey] }))[0]!,
      /^spec\.containers\[0\]\.env\[0\]\.valueFrom\.fieldRef: Invalid value: "-x": name part must consist of/,
    );
    const c = app({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.host' } } }] });
    assert.deepEqual(messages(pod({ containers: [c] })), [
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.host": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    ]);
  });
});

describe('volumes', () => {
  test('a volumeMount must name a defined volume', () => {
    const c = app({ volumeMounts: [{ name: 'data', mountPath: '/data' }] });
    assert.deepEqual(messages(pod({ containers: [c] })), [
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ]);
  });

  test('volume names are unique and mount paths unique per container', () => {
    const c = app({
      volumeMounts: [
        { name: 'a', mountPath: '/x' },
        { name: 'a', mountPath: '/x' },
      ],
    });
    const spec = {
      containers: [c],
      volumes: [
        { name: 'a', emptyDir: {} },
        { name: 'a', emptyDir: {} },
      ],
    };
    assert.deepEqual(messages(pod(spec)), [
      'spec.volumes[1].name: Duplicate value: "a"',
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/x": must be unique',
    ]);
  });

  test('a volume may have only one source, and configMap/secret sources are checked', () => {
    const spec = {
      containers: [app()],
      volumes: [
        { name: 'two', emptyDir: {}, hostPath: { path: '/tmp' } },
        { name: 'cm', configMap: { defaultMode: 0o1777, items: [{ key: 'k', path: '../x' }] } },
        { name: 'sec', secret: {} },
      ],
    };
    assert.deepEqual(messages(pod(spec)), [
      'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[1].configMap.name: Required value',
      'spec.volumes[1].configMap.defaultMode: Invalid value: 1023: must be a number between 0 and 0777 (octal), both inclusive',
      'spec.volumes[1].configMap.items[0].path: Invalid value: "../x": must not contain \'..\'',
      'spec.volumes[2].secret.secretName: Required value',
    ]);
  });
});

describe('pod spec', () => {
  test('restartPolicy and dnsPolicy are enums', () => {
    assert.deepEqual(
      messages(pod({ containers: [app()], restartPolicy: 'Sometimes', dnsPolicy: 'Google' })),
      [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      ],
    );
  });

  test('activeDeadlineSeconds must be positive', () => {
    assert.deepEqual(messages(pod({ containers: [app()], activeDeadlineSeconds: 0 })), [
      'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
    ]);
  });

  test('known-but-unsupported fields are accepted without errors', () => {
    const spec = {
      containers: [
        app({
          resources: { limits: { cpu: '1', memory: '128Mi' } },
          securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
        }),
      ],
      tolerations: [{ key: 'node-role', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: {} },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'builder',
      priorityClassName: 'high',
      imagePullSecrets: [{ name: 'regcred' }],
      hostAliases: [{ ip: '127.0.0.1', hostnames: ['db.local'] }],
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
    };
    assert.deepEqual(messages(pod(spec)), []);
  });
});

describe('workloads', () => {
  const template = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    metadata: { labels },
    spec: { containers: [app()], ...extra },
  });

  test('a Deployment selector must match its template labels', () => {
    const d: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'api' }) },
    };
    assert.deepEqual(messages(d), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`',
    ]);
  });

  test('a Deployment needs a non-empty selector and an Always restart policy', () => {
    const d: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { template: template({ app: 'web' }, { restartPolicy: 'Never' }) },
    };
    assert.deepEqual(messages(d), [
      'spec.selector: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  test('a ReplicaSet has the same selector rule', () => {
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: template({}) },
    };
    assert.deepEqual(messages(rs), [
      'spec.template.metadata.labels: Invalid value: map[string]string{}: `selector` does not match template `labels`',
    ]);
  });

  test('a Job template must restart Never or OnFailure, and leaving it out (defaulted to Always) is reported as required', () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: { template: template({}) },
    };
    assert.deepEqual(messages(job), [
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
    (job.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy = 'Sometimes';
    assert.deepEqual(messages(job), [
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]);
    (job.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy = 'Never';
    assert.deepEqual(messages(job), []);
  });

  test('a Job with manualSelector needs a selector that matches its template', () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: {
        manualSelector: true,
        selector: { matchLabels: { job: 'x' } },
        template: template({ job: 'y' }, { restartPolicy: 'Never' }),
      },
    };
    assert.deepEqual(messages(job), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"job":"y"}: `selector` does not match template `labels`',
    ]);
  });
});

describe('services, config maps, secrets', () => {
  test('Service ports: numbers, protocols, names required when several, type enum', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: {
        type: 'Internal',
        ports: [
          { port: 80, protocol: 'HTTP' },
          { name: 'b', port: 0, targetPort: 'Bad_Name' },
        ],
      },
    };
    // ValidateService checks the ports before the type.
    assert.deepEqual(messages(svc), [
      'spec.ports[0].name: Required value',
      'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].targetPort: Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]);
  });

  test('a Service may not repeat a (protocol, port) pair', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80, targetPort: 8080 },
        ],
      },
    };
    assert.deepEqual(messages(svc), [
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]);
  });

  test('host ports may not collide across containers', () => {
    const spec = {
      containers: [
        app({ ports: [{ containerPort: 80, hostPort: 8080 }] }),
        app({ name: 'b', ports: [{ containerPort: 81, hostPort: 8080 }] }),
      ],
    };
    assert.deepEqual(messages(pod(spec)), [
      'spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"',
    ]);
  });

  test('a Service needs ports unless headless', () => {
    const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: {} };
    assert.deepEqual(messages(svc), ['spec.ports: Required value']);
    (svc.spec as Record<string, unknown>).clusterIP = 'None';
    assert.deepEqual(messages(svc), []);
  });

  test('ConfigMap and Secret keys must be config keys, reported at data[key]', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { 'Key_!': 'v', '..x': 'v' },
    };
    assert.deepEqual(messages(cm), [
      `data[Key_!]: Invalid value: "Key_!": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `data[..x]: Invalid value: "..x": must not start with '..'`,
    ]);
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { 'a b': 'eA==' },
    };
    assert.equal(messages(secret).length, 1);
    assert.match(messages(secret)[0]!, /^data\[a b\]: Invalid value: "a b": a valid config key/);
  });

  test('a TLS secret needs tls.crt and tls.key', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      type: 'kubernetes.io/tls',
    };
    assert.deepEqual(messages(secret), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
  });

  test('a registry credential must be a JSON object, and the error does not show it', () => {
    const cred = (type: string, data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      type,
      data: Object.fromEntries(
        Object.entries(data).map(([dk, v]) => [dk, Buffer.from(v).toString('base64')]),
      ),
    });
    const bad = messages(
      cred('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': 'ghp_SuperSecretToken' }),
    );
    assert.equal(bad.length, 1);
    assert.match(
      bad[0]!,
      /^data\[\.dockerconfigjson\]: Invalid value: "<secret contents redacted>": Unexpected token 'g'$/,
    );
    assert.doesNotMatch(bad[0]!, /SuperSecret/);
    assert.deepEqual(messages(cred('kubernetes.io/dockercfg', { '.dockercfg': '[1]' })), [
      'data[.dockercfg]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}',
    ]);
    assert.deepEqual(
      messages(cred('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '{"auths":{}}' })),
      [],
    );
    const fromStringData: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': 'hunter2' },
    };
    assert.equal(messages(fromStringData).length, 1);
    assert.doesNotMatch(messages(fromStringData)[0]!, /hunter2|unter/);
    // ssh-auth: a present but empty key is missing too.
    assert.deepEqual(messages(cred('kubernetes.io/ssh-auth', { 'ssh-privatekey': '' })), [
      'data[ssh-privatekey]: Required value',
    ]);
  });
});

describe('validateObject on stored objects', () => {
  test('every error carries its type and field for API Status causes', () => {
    const errs = validateObject(pod({ containers: [{ name: 'app' }] }));
    assert.deepEqual(errs, [
      { type: 'FieldValueRequired', field: 'spec.containers[0].image', badValue: '', detail: '' },
    ]);
  });

  test('undefaulted objects validate like defaulted ones (fields defaulting fills are not required)', () => {
    assert.deepEqual(validateObject(pod({ containers: [app()] })), []);
  });
});
