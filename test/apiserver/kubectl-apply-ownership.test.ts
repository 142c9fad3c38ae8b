// Field ownership against the real kubectl 1.32: `kubectl apply --server-side` conflicts, --force-conflicts,
// --show-managed-fields, and the move from client-side to server-side apply.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type KubectlEnv, kubectlEnv, SKIP_KUBECTL } from './kubectl-env.js';

async function withEnv(f: (k: KubectlEnv) => Promise<void>): Promise<void> {
  const k = await kubectlEnv();
  try {
    await f(k);
  } finally {
    await k.close();
  }
}

const cm = (owner: string, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  owner: ${owner}\n${extra}`;

// kubectl's apply.go wraps the server's 409 with this advice.
const CONFLICT_ADVICE = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the \`--force-conflicts\` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
`;

describe('kubectl apply --server-side with field ownership', { skip: SKIP_KUBECTL }, () => {
  test('a second field manager conflicts (exit 1, the server message and kubectl advice); --force-conflicts takes over', () =>
    withEnv(async (k) => {
      const file = await k.writeFile('cm.yaml', cm('alpha'));
      const first = await k.run(['apply', '--server-side', '--field-manager=alpha', '-f', file]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'configmap/cfg serverside-applied\n');

      await k.writeFile('cm.yaml', cm('beta'));
      const refused = await k.run(['apply', '--server-side', '--field-manager=beta', '-f', file]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, '');
      assert.equal(
        refused.stderr,
        `error: Apply failed with 1 conflict: conflict with "alpha": .data.owner\n${CONFLICT_ADVICE}`,
      );

      const forced = await k.run([
        'apply',
        '--server-side',
        '--field-manager=beta',
        '--force-conflicts',
        '-f',
        file,
      ]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(forced.stdout, 'configmap/cfg serverside-applied\n');

      const yaml = await k.run(['get', 'cm', 'cfg', '-o', 'yaml', '--show-managed-fields']);
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.match(
        yaml.stdout,
        / {2}managedFields:\n {2}- apiVersion: v1\n {4}fieldsType: FieldsV1\n {4}fieldsV1:\n {6}f:data:\n {8}f:owner: \{\}\n {4}manager: beta\n {4}operation: Apply\n {4}time: "\S+"\n/,
      );
      const plain = await k.run(['get', 'cm', 'cfg', '-o', 'yaml']);
      assert.doesNotMatch(plain.stdout, /managedFields/, 'kubectl hides them without --show-managed-fields');
    }));

  test('applying an omitted field removes it; the same value from a second manager is shared', () =>
    withEnv(async (k) => {
      const file = await k.writeFile('cm.yaml', cm('alpha', '  extra: "1"\n'));
      assert.equal((await k.run(['apply', '--server-side', '-f', file])).code, 0);
      const other = await k.writeFile('other.yaml', cm('alpha'));
      const shared = await k.run(['apply', '--server-side', '--field-manager=other', '-f', other]);
      assert.equal(shared.code, 0, shared.stderr);
      await k.writeFile('cm.yaml', cm('alpha'));
      assert.equal((await k.run(['apply', '--server-side', '-f', file])).code, 0);
      await k.writeFile('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n');
      assert.equal((await k.run(['apply', '--server-side', '-f', file])).code, 0);
      const stored = await k.t.registry.get('configmaps', 'default', 'cfg');
      assert.deepEqual(stored.data, { owner: 'alpha' }, 'extra went; owner stays, the other manager owns it');
    }));

  test('kubectl apply, then apply --server-side with a changed value: no conflict with its own client-side apply', () =>
    withEnv(async (k) => {
      const file = await k.writeFile('cm.yaml', cm('one'));
      const csa = await k.run(['apply', '-f', file]);
      assert.equal(csa.code, 0, csa.stderr);
      await k.writeFile('cm.yaml', cm('two'));
      const ssa = await k.run(['apply', '--server-side', '-f', file]);
      assert.equal(ssa.code, 0, ssa.stderr);
      assert.equal(ssa.stderr, '');
      assert.equal(ssa.stdout, 'configmap/cfg serverside-applied\n');
      const stored = await k.t.registry.get('configmaps', 'default', 'cfg');
      assert.deepEqual(stored.data, { owner: 'two' });
      const last = JSON.parse(
        stored.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}',
      );
      assert.deepEqual(last.data, { owner: 'two' }, 'the client-side apply annotation follows');
      const managers = (stored.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}`);
      assert.ok(managers.includes('kubectl/Apply'), managers.join(' '));
      assert.ok(
        !managers.includes('kubectl-client-side-apply/Update'),
        `kubectl migrated: ${managers.join(' ')}`,
      );
    }));
});
