// Integers that do not fit their Go field (int32 or int64) are refused by every write, as upstream's decoder
// refuses them, so that typed clients can always read back what was stored (`kubectl rollout restart` broke
// on a stored revisionHistoryLimit of 1e308).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, pod, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const PODS = '/api/v1/namespaces/default/pods';

function deployment(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
      ...spec,
    },
  };
}

/** `{"spec":{"replicas":N}}` with N as written, for values JSON.stringify cannot spell. */
function rawReplicas(n: string): string {
  return `{"spec":{"replicas":${n}}}`;
}

/** The 400 upstream's decoder gives, in podrun's field-error form around encoding/json's message. */
function assertRefused(
  res: { status: number; json: { reason?: string; message?: string }; text: string },
  go: string,
  kind?: string,
): void {
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.reason, 'BadRequest');
  assert.ok(res.json.message?.includes(`json: cannot unmarshal ${go}`), res.json.message);
  if (kind) {
    assert.ok(
      res.json.message?.startsWith(`${kind} in version "v1" cannot be handled as a ${kind}: `),
      res.json.message,
    );
  }
}

async function replicasOf(name: string): Promise<number> {
  const res = await call(t, 'GET', `${DEPLOYMENTS}/${name}`);
  assert.equal(res.status, 200, res.text);
  return res.json.spec.replicas;
}

describe('int32 fields', () => {
  test('a create with a number out of int32, or not an integer, is a 400 and stores nothing', async () => {
    const cases: Array<[string, string]> = [
      ['1e308', 'number 1e+308'],
      ['2147483648', 'number 2147483648'],
      ['-2147483649', 'number -2147483649'],
      ['9007199254740993', 'number 9007199254740992'],
      ['1.5', 'number 1.5'],
    ];
    for (const [value, go] of cases) {
      const body = JSON.stringify(deployment('d32')).replace('"spec":{', `"spec":{"replicas":${value},`);
      const res = await call(t, 'POST', DEPLOYMENTS, { raw: body });
      assertRefused(
        res,
        `${go} into Go struct field DeploymentSpec.spec.replicas of type int32`,
        'Deployment',
      );
      assert.equal((await call(t, 'GET', `${DEPLOYMENTS}/d32`)).status, 404);
    }
    const limit = await call(t, 'POST', DEPLOYMENTS, {
      body: deployment('d32', { revisionHistoryLimit: 1e308 }),
    });
    assert.equal(
      limit.json.message,
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1e+308 into Go struct field DeploymentSpec.spec.revisionHistoryLimit of type int32',
    );
    const surge = await call(t, 'POST', DEPLOYMENTS, {
      body: deployment('d32', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2 ** 31 } } }),
    });
    assertRefused(
      surge,
      'number 2147483648 into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32',
    );
    const port = await call(t, 'POST', PODS, {
      body: pod('p32', {
        spec: {
          containers: [
            { name: 'app', image: 'busybox', ports: [{ containerPort: 80 }, { containerPort: 2 ** 40 }] },
          ],
        },
      }),
    });
    assertRefused(
      port,
      'number 1099511627776 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
      'Pod',
    );
    // Upstream's text: the Go field path, without the list index.
    assert.equal(
      port.json.message,
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 1099511627776 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
  });

  test('the int32 bounds themselves are accepted', async () => {
    const res = await call(t, 'POST', DEPLOYMENTS, {
      body: deployment('edge', { replicas: 2147483647, revisionHistoryLimit: 2147483647 }),
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(await replicasOf('edge'), 2147483647);
  });

  test('updates and every kind of patch are refused alike, and the object stays as it was', async () => {
    await call(t, 'POST', DEPLOYMENTS, { body: deployment('patched', { replicas: 1 }) });
    const current = (await call(t, 'GET', `${DEPLOYMENTS}/patched`)).json;
    const put = await call(t, 'PUT', `${DEPLOYMENTS}/patched`, {
      raw: JSON.stringify(current).replace('"replicas":1', '"replicas":1e308'),
    });
    assertRefused(
      put,
      'number 1e+308 into Go struct field DeploymentSpec.spec.replicas of type int32',
      'Deployment',
    );

    const patches: Array<[string, string, string]> = [
      ['merge', 'application/merge-patch+json', rawReplicas('2147483648')],
      ['strategic', 'application/strategic-merge-patch+json', rawReplicas('2147483648')],
      [
        'json',
        'application/json-patch+json',
        '[{"op":"replace","path":"/spec/replicas","value":2147483648}]',
      ],
      [
        'apply',
        'application/apply-patch+yaml',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: patched\nspec:\n  replicas: 2147483648\n',
      ],
    ];
    for (const [what, contentType, raw] of patches) {
      // force: an apply that takes replicas from their manager would otherwise be a 409 Conflict first.
      const query = what === 'apply' ? '?fieldManager=test&force=true' : '';
      const res = await call(t, 'PATCH', `${DEPLOYMENTS}/patched${query}`, { raw, contentType });
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assertRefused(res, 'number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32');
      assert.equal(await replicasOf('patched'), 1, what);
    }
    const ok = await call(t, 'PATCH', `${DEPLOYMENTS}/patched`, {
      raw: rawReplicas('2147483647'),
      contentType: 'application/merge-patch+json',
    });
    assert.equal(ok.status, 200, ok.text);
  });

  test('the scale subresource cannot set replicas past int32', async () => {
    await call(t, 'POST', DEPLOYMENTS, { body: deployment('scaled', { replicas: 1 }) });
    const res = await call(t, 'PATCH', `${DEPLOYMENTS}/scaled/scale`, {
      raw: rawReplicas('1e308'),
      contentType: 'application/merge-patch+json',
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(await replicasOf('scaled'), 1);
  });

  test('status writes are refused alike', async () => {
    await call(t, 'POST', DEPLOYMENTS, { body: deployment('statused') });
    const current = (await call(t, 'GET', `${DEPLOYMENTS}/statused`)).json;
    const put = await call(t, 'PUT', `${DEPLOYMENTS}/statused/status`, {
      body: { ...current, status: { replicas: 2 ** 31 } },
    });
    assertRefused(
      put,
      'number 2147483648 into Go struct field DeploymentStatus.status.replicas of type int32',
    );

    await call(t, 'POST', PODS, { body: pod('restarts') });
    const status = (restartCount: string) =>
      `{"status":{"containerStatuses":[{"name":"app","image":"busybox","imageID":"","ready":false,"restartCount":${restartCount}}]}}`;
    const bad = await call(t, 'PATCH', `${PODS}/restarts/status`, {
      raw: status('1e308'),
      contentType: 'application/merge-patch+json',
    });
    assertRefused(
      bad,
      'number 1e+308 into Go struct field ContainerStatus.status.containerStatuses.restartCount of type int32',
    );
    const good = await call(t, 'PATCH', `${PODS}/restarts/status`, {
      raw: status('2147483647'),
      contentType: 'application/merge-patch+json',
    });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.json.status.containerStatuses[0].restartCount, 2147483647);
  });
});

describe('int64 fields', () => {
  test('take any integer a double holds exactly, and refuse what is past int64', async () => {
    const ok = await call(t, 'POST', PODS, {
      body: pod('p64', {
        spec: {
          terminationGracePeriodSeconds: Number.MAX_SAFE_INTEGER,
          securityContext: { supplementalGroups: [Number.MAX_SAFE_INTEGER] },
          containers: [{ name: 'app', image: 'busybox' }],
        },
      }),
    });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.spec.terminationGracePeriodSeconds, Number.MAX_SAFE_INTEGER);

    const past = await call(t, 'POST', PODS, {
      raw: JSON.stringify(pod('p64-past')).replace(
        '"spec":{',
        '"spec":{"terminationGracePeriodSeconds":1e19,',
      ),
    });
    assertRefused(
      past,
      'number 10000000000000000000 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64',
      'Pod',
    );
    const groups = await call(t, 'POST', PODS, {
      body: pod('p64-groups', {
        spec: {
          securityContext: { supplementalGroups: [1, 1e300] },
          containers: [{ name: 'app', image: 'busybox' }],
        },
      }),
    });
    assertRefused(
      groups,
      'number 1e+300 into Go struct field PodSecurityContext.spec.securityContext.supplementalGroups of type int64',
      'Pod',
    );
  });

  test('an int64 status field is refused past int64, and accepted up to the largest safe integer', async () => {
    await call(t, 'POST', DEPLOYMENTS, { body: deployment('observed') });
    const patch = (n: string) =>
      call(t, 'PATCH', `${DEPLOYMENTS}/observed/status`, {
        raw: `{"status":{"observedGeneration":${n}}}`,
        contentType: 'application/merge-patch+json',
      });
    assertRefused(
      await patch('1e19'),
      'number 10000000000000000000 into Go struct field DeploymentStatus.status.observedGeneration of type int64',
    );
    const ok = await patch(String(Number.MAX_SAFE_INTEGER));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.status.observedGeneration, Number.MAX_SAFE_INTEGER);
  });
});
