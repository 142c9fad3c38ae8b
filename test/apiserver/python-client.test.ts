// The official Python client (Debian's python3-kubernetes) against the API server alone: it sends
// `watch=True` (a watch, as upstream's parameter codec reads it), watches from a resourceVersion the server
// has not reached (only the changes after it arrive), gets upstream's 504 for a list at such a
// resourceVersion, and sends a label selector longer than Node's default header limit (issue 12 item 6).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers.js';
import { hasPythonClient, runPythonScript } from './python.js';

/** Debian's interpreter: the package installs the client for it, not for another python3 on PATH. */
if (!hasPythonClient && process.env.CI === 'true')
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

/** DaemonSet, CronJob and ReplicationController through the typed client: its models read podrun's objects. */
const WORKLOADS_SCRIPT = `
import json, sys
from kubernetes import client

cfg = client.Configuration()
cfg.host = sys.argv[1]
cfg.api_key = {"authorization": "Bearer " + sys.argv[2]}
cfg.ssl_ca_cert = sys.argv[3]
api = client.ApiClient(cfg)
apps, batch, v1 = client.AppsV1Api(api), client.BatchV1Api(api), client.CoreV1Api(api)
labels = {"app": "py"}
container = client.V1Container(name="c", image="busybox")
template = client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(containers=[container]))
ds = apps.create_namespaced_daemon_set("default", client.V1DaemonSet(
    metadata=client.V1ObjectMeta(name="py"),
    spec=client.V1DaemonSetSpec(selector=client.V1LabelSelector(match_labels=labels), template=template)))
job_pod = client.V1PodTemplateSpec(spec=client.V1PodSpec(restart_policy="Never", containers=[container]))
cj = batch.create_namespaced_cron_job("default", client.V1CronJob(
    metadata=client.V1ObjectMeta(name="py"),
    spec=client.V1CronJobSpec(schedule="@hourly",
        job_template=client.V1JobTemplateSpec(spec=client.V1JobSpec(template=job_pod)))))
rc = v1.create_namespaced_replication_controller("default", client.V1ReplicationController(
    metadata=client.V1ObjectMeta(name="py"), spec=client.V1ReplicationControllerSpec(template=template)))
scale = v1.patch_namespaced_replication_controller_scale("py", "default", {"spec": {"replicas": 3}})
print(json.dumps({
    "ds": [ds.spec.update_strategy.type, ds.spec.update_strategy.rolling_update.max_unavailable, ds.spec.revision_history_limit],
    "cj": [cj.spec.concurrency_policy, cj.spec.successful_jobs_history_limit, cj.spec.suspend,
           [c.metadata.name for c in batch.list_namespaced_cron_job("default").items]],
    "rc": [rc.spec.selector, rc.spec.replicas, scale.spec.replicas, scale.status.selector,
           v1.read_namespaced_replication_controller("py", "default").spec.replicas],
}))
`;

describe('the official Python client against the API server', {
  skip: !hasPythonClient && 'python3-kubernetes is not installed',
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
    const printed = await runPythonScript(t, SCRIPT);
    const out = printed as {
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

  test('DaemonSets, CronJobs and ReplicationControllers through the typed models, and the RC scale', {
    timeout: 60_000,
  }, async () => {
    const printed = await runPythonScript(t, WORKLOADS_SCRIPT);
    assert.deepEqual(printed, {
      ds: ['RollingUpdate', 1, 10],
      cj: ['Allow', 3, false, ['py']],
      rc: [{ app: 'py' }, 1, 3, 'app=py', 3],
    });
  });
});
