// RBAC's rule matching and coverage, case by case as upstream's rbac_test.go and policy_comparator_test.go
// exercise them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compactRules,
  compactString,
  covers,
  nonResourceAttributes,
  resourceAttributes,
  ruleAllows,
} from '../../../src/apiserver/rbac/rules.js';

const pods = (verb: string, extra: Record<string, string> = {}) =>
  resourceAttributes({ verb, resource: 'pods', namespace: 'default', ...extra });

describe('ruleAllows', () => {
  test('verbs, groups and resources match exactly or by *', () => {
    const rule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
    assert.ok(ruleAllows(pods('list'), rule));
    assert.ok(!ruleAllows(pods('delete'), rule));
    assert.ok(!ruleAllows(pods('list', { apiGroup: 'apps' }), rule));
    assert.ok(!ruleAllows(resourceAttributes({ verb: 'list', resource: 'secrets' }), rule));
    const all = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
    assert.ok(ruleAllows(pods('delete', { apiGroup: 'apps', subresource: 'scale' }), all));
  });

  test('a subresource needs its own rule, or */subresource', () => {
    const podsOnly = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
    assert.ok(!ruleAllows(pods('get', { name: 'a', subresource: 'log' }), podsOnly));
    assert.ok(
      ruleAllows(pods('get', { name: 'a', subresource: 'log' }), { ...podsOnly, resources: ['pods/log'] }),
    );
    assert.ok(
      ruleAllows(pods('get', { name: 'a', subresource: 'log' }), { ...podsOnly, resources: ['*/log'] }),
    );
    assert.ok(
      !ruleAllows(pods('get', { name: 'a', subresource: 'status' }), { ...podsOnly, resources: ['*/log'] }),
    );
    // `*/log` is not `pods` itself.
    assert.ok(!ruleAllows(pods('get', { name: 'a' }), { ...podsOnly, resources: ['*/log'] }));
  });

  test('resourceNames limit to the names listed; a list has no name and is not allowed', () => {
    const rule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['web'] };
    assert.ok(ruleAllows(pods('get', { name: 'web' }), rule));
    assert.ok(!ruleAllows(pods('get', { name: 'db' }), rule));
    assert.ok(!ruleAllows(pods('list'), rule));
  });

  test('non-resource URLs match exactly, by a trailing *, or *', () => {
    const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    assert.ok(ruleAllows(nonResourceAttributes('get', '/healthz'), rule));
    assert.ok(!ruleAllows(nonResourceAttributes('get', '/healthz/ping'), rule));
    assert.ok(ruleAllows(nonResourceAttributes('get', '/apis/apps/v1'), rule));
    assert.ok(!ruleAllows(nonResourceAttributes('post', '/apis/apps'), rule));
    assert.ok(
      ruleAllows(nonResourceAttributes('get', '/anything'), { verbs: ['*'], nonResourceURLs: ['*'] }),
    );
    // A resource rule never allows a path, nor a URL rule a resource.
    assert.ok(
      !ruleAllows(nonResourceAttributes('get', '/api'), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }),
    );
    assert.ok(!ruleAllows(pods('get'), rule));
  });
});

describe('covers', () => {
  test('owner rules cover what they allow; the rest is listed atom by atom', () => {
    const owner = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'secrets'] }];
    assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]).covered, true);
    const r = covers(owner, [
      { verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'configmaps'] },
    ]);
    assert.equal(r.covered, false);
    assert.deepEqual(compactRules(r.missing).map(compactString).sort(), [
      '{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "delete"]}',
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    ]);
  });

  test('resourceNames: an owner limited to names does not cover all names', () => {
    const owner = [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }];
    assert.equal(
      covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }]).covered,
      true,
    );
    assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]).covered, false);
  });

  test('* covers everything, non-resource URLs by prefix', () => {
    const admin = [
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['/apis/*'] },
    ];
    assert.equal(
      covers(admin, [{ verbs: ['escalate'], apiGroups: ['x'], resources: ['y'], resourceNames: ['z'] }])
        .covered,
      true,
    );
    assert.equal(covers(admin, [{ verbs: ['get'], nonResourceURLs: ['/apis/apps'] }]).covered, true);
    const r = covers(admin, [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]);
    assert.deepEqual(r.missing.map(compactString), ['{NonResourceURLs:["/healthz"], Verbs:["get"]}']);
  });
});
