// DaemonSet, CronJob and ReplicationController defaulting and validation, in upstream's words (v1.32).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { validateUpdate } from '../../src/api/validation/index.js';
import { messages } from './helpers.js';

const TEMPLATE = {
  metadata: { labels: { app: 'a' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
};

function ds(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: TEMPLATE, ...spec },
  };
}

function cj(spec: Record<string, unknown> = {}, name = 'tick'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: {
        spec: {
          template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
      ...spec,
    },
  };
}

function rc(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'web', namespace: 'default' },
    spec: { template: TEMPLATE, ...spec },
  };
}

describe('DaemonSet', () => {
  test('defaults: RollingUpdate with maxUnavailable 1 and maxSurge 0, ten revisions', () => {
    const d = applyDefaults(ds());
    assert.deepEqual(messages(d), []);
    const spec = d.spec as Record<string, unknown>;
    assert.deepEqual(spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.deepEqual(
      (applyDefaults(ds({ updateStrategy: { type: 'OnDelete' } })).spec as Record<string, unknown>)
        .updateStrategy,
      { type: 'OnDelete' },
    );
  });

  test('selector, strategy and template errors', () => {
    assert.deepEqual(messages(ds({ selector: { matchLabels: { app: 'b' } } })), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
    ]);
    assert.deepEqual(
      messages(
        ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } }),
      ),
      [
        'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
      ],
    );
    assert.deepEqual(
      messages(
        ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }),
      ),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    );
    assert.deepEqual(
      messages(
        ds({
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '120%', maxSurge: 0 } },
        }),
      ),
      [
        'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%',
      ],
    );
    assert.deepEqual(messages(ds({ updateStrategy: { type: 'Sometimes' } })), [
      'spec.updateStrategy: Unsupported value: "Sometimes": supported values: "RollingUpdate", "OnDelete"',
    ]);
    assert.deepEqual(
      messages(ds({ template: { ...TEMPLATE, spec: { ...TEMPLATE.spec, restartPolicy: 'Never' } } })),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    );
  });

  test('the selector is immutable', () => {
    const old = {
      ...applyDefaults(ds()),
      metadata: { name: 'agent', namespace: 'default', resourceVersion: '1' },
    };
    const changed = applyDefaults(ds({ selector: { matchLabels: { app: 'a', tier: 'x' } } }));
    changed.metadata = old.metadata;
    (changed.spec as { template: unknown }).template = {
      ...TEMPLATE,
      metadata: { labels: { app: 'a', tier: 'x' } },
    };
    const errs = validateUpdate(applyDefaults(changed), old).map(formatFieldError);
    assert.equal(errs.length, 1);
    assert.match(errs[0]!, /^spec.selector: Invalid value: .*: field is immutable$/);
  });
});

describe('CronJob', () => {
  test('defaults: Allow, not suspended, 3 successful and 1 failed job kept; the job template is not a Job', () => {
    const c = applyDefaults(cj());
    assert.deepEqual(messages(c), []);
    const spec = c.spec as Record<string, unknown>;
    assert.equal(spec.concurrencyPolicy, 'Allow');
    assert.equal(spec.suspend, false);
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 1);
    const jobSpec = (spec.jobTemplate as { spec: Record<string, unknown> }).spec;
    assert.equal(jobSpec.backoffLimit, undefined);
    assert.equal((jobSpec.template as { spec: { dnsPolicy?: string } }).spec.dnsPolicy, 'ClusterFirst');
  });

  test('schedules in robfig words; TZ in the schedule refused; time zones checked', () => {
    assert.deepEqual(messages(cj({ schedule: '61 * * * *' })), [
      'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
    ]);
    assert.deepEqual(messages(cj({ schedule: '@hourly' })), []);
    assert.deepEqual(messages(cj({ schedule: 'CRON_TZ=UTC * * * * *' })), [
      'spec.schedule: Invalid value: "CRON_TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
    assert.deepEqual(messages(cj({ schedule: '' })), ['spec.schedule: Required value']);
    assert.deepEqual(messages(cj({ timeZone: 'Europe/Paris' })), []);
    assert.deepEqual(messages(cj({ timeZone: 'Europe/Pariss' })), [
      'spec.timeZone: Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss',
    ]);
    assert.deepEqual(messages(cj({ timeZone: 'Local' })), [
      'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
    ]);
    assert.deepEqual(messages(cj({ timeZone: '' })), [
      'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string',
    ]);
  });

  test('policies, limits, the job template and the name length', () => {
    assert.deepEqual(messages(cj({ concurrencyPolicy: 'Sometimes' })), [
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    ]);
    assert.deepEqual(messages(cj({ startingDeadlineSeconds: -1, successfulJobsHistoryLimit: -1 })), [
      'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    ]);
    const always = cj();
    (
      always.spec as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } }
    ).jobTemplate.spec.template.spec.restartPolicy = 'Always';
    assert.deepEqual(messages(always), [
      'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
    const selected = cj();
    (selected.spec as { jobTemplate: { spec: Record<string, unknown> } }).jobTemplate.spec.selector = {
      matchLabels: { a: 'b' },
    };
    assert.ok(
      messages(selected).includes(
        'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
      ),
    );
    assert.deepEqual(messages(cj({}, 'x'.repeat(53))), [
      `metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`,
    ]);
  });
});

describe('ReplicationController', () => {
  test('defaults: the selector and labels from the template, one replica', () => {
    const r = applyDefaults(rc());
    assert.deepEqual(messages(r), []);
    assert.deepEqual((r.spec as Record<string, unknown>).selector, { app: 'a' });
    assert.equal((r.spec as Record<string, unknown>).replicas, 1);
    assert.deepEqual(r.metadata.labels, { app: 'a' });
  });

  test('a selector that misses the template labels, and negative replicas', () => {
    assert.deepEqual(messages(rc({ selector: { app: 'b' }, replicas: -1 })), [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
    ]);
  });
});
