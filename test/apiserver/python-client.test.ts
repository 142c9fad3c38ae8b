// The official Python client (Debian's python3-kubernetes) against the API server alone: it sends
// `watch=True` (a watch, as upstream's parameter codec reads it), watches from a resourceVersion the server
// has not reached (only the changes after it arrive), gets upstream's 504 for a list at such a
// resourceVersion, and sends a label selector longer than Node's default header limit (issue 12 item 6).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers.js';

/** Debian's interpreter: the package installs the client for it, not for another python3 on PATH. */
const PYTHON = '/usr/bin/python3';
const hasClient = spawnSync(PYTHON, ['-c', 'import kubernetes'], { encoding: 'utf8' }).status === 0;
if (!hasClient && process.env.CI === 'true')
  throw new Error("the Python client test needs Debian's python3-kubernetes; .ci/run installs it");

const SCRIPT = `
import json, sys, threading
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

cfg = client.Configuration()
cfg.host = sys.argv[1]
cfg.api_key = {"authorization": "Bearer " + sys.argv[2]}
cfg.ssl_ca_cert = sys.argv[3]
v1 = client.CoreV1Api(client.ApiClient(cfg))
out = {}

def cm(name):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels={"app": "py"}), data={"k": "v"})

v1.create_namespaced_config_map("default", cm("py-0"))
rv = int(v1.list_namespaced_config_map("default").metadata.resource_version)
out["rv"] = rv

events = []
opened = threading.Event()
def follow():
    w = watch.Watch()
    stream = w.stream(v1.list_namespaced_config_map, "default", resource_version=str(rv + 2), timeout_seconds=30)
    opened.set()
    for ev in stream:
        o = ev["object"]
        events.append([ev["type"], o.metadata.name, int(o.metadata.resource_version)])
        if o.metadata.name == "py-3":
            w.stop()
t = threading.Thread(target=follow)
t.start()
opened.wait()
for i in (1, 2, 3):
    v1.create_namespaced_config_map("default", cm("py-%d" % i))
t.join(30)
out["events"] = events

try:
    v1.list_namespaced_config_map("default", resource_version=str(rv + 1000))
    out["future_list"] = "answered"
except ApiException as e:
    body = json.loads(e.body)
    out["future_list"] = [e.status, body.get("reason"), body.get("details", {}).get("causes")]

selector = "app in (py,%s)" % ",".join("value-%d" % i for i in range(3000))
out["selector_length"] = len(selector)
out["selected"] = sorted(c.metadata.name for c in v1.list_namespaced_config_map("default", label_selector=selector).items)
print(json.dumps(out))
`;

describe('the official Python client against the API server', {
  skip: !hasClient && 'python3-kubernetes is not installed',
}, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.close();
  });

  test('watch=True from a future resourceVersion, the 504 for a list there, a long selector', {
    timeout: 60_000,
  }, async () => {
    const child = spawn(PYTHON, ['-c', SCRIPT, t.server.url, t.server.token, t.server.caFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout) as {
      rv: number;
      events: Array<[string, string, number]>;
      future_list: unknown;
      selector_length: number;
      selected: string[];
    };
    // py-1 and py-2 take rv+1 and rv+2, at or below the watch's resourceVersion: not delivered.
    assert.deepEqual(out.events, [['ADDED', 'py-3', out.rv + 3]]);
    assert.deepEqual(out.future_list, [
      504,
      'Timeout',
      [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    ]);
    assert.ok(out.selector_length > 16 * 1024);
    assert.deepEqual(out.selected, ['py-0', 'py-1', 'py-2', 'py-3']);
  });
});
