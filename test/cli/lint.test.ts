// `podrun lint`: each check on a small manifest, its findings located at file:line:col of the field they are
// about; then the command as a user runs it (examples clean, --format json, exit codes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseManifests } from '../../src/api/manifests.js';
import { imagePin, lint, migrationRun } from '../../src/cli/lint/checks.js';
import type { Finding } from '../../src/cli/lint/findings.js';
import type { ContainerAt } from '../../src/cli/lint/pod-specs.js';
import { shellScript, unboundedWaitLoops } from '../../src/cli/lint/shell.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Lints one YAML text (leading newline dropped, so line 1 is the first line written). */
function lintText(yaml: string): Finding[] {
  const load = parseManifests(yaml.replace(/^\n/, ''), 'app.yaml');
  return lint(load.documents, load.errors);
}

/** `rule@line:col severity` of each finding. */
const where = (fs: Finding[]) => fs.map((f) => `${f.rule}@${f.line}:${f.col} ${f.severity}`);

const REQ = 'resources: {requests: {cpu: 10m, memory: 16Mi}}';

describe('podrun lint checks', () => {
  test('a clean pod has no findings', () => {
    assert.deepEqual(
      lintText(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
    - name: wait
      image: busybox:1.36
      ${REQ}
      command: [sh, -c, 'i=0; until nc -z db 5432; do i=$((i+1)); [ $i -ge 30 ] && exit 1; sleep 1; done']
  containers:
    - name: app
      image: busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000
`),
      [],
    );
  });

  test('unbounded-wait: until and while ! loops without a counter, at the script', () => {
    const fs = lintText(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
    - name: wait-db
      image: busybox:1.36
      ${REQ}
      command: [sh, -c, 'until nc -z db 5432; do sleep 1; done']
    - name: wait-cache
      image: busybox:1.36
      ${REQ}
      command:
        - sh
        - -c
        - |
          echo start
          while ! nc -z cache 6379; do
            sleep 1
          done
  containers:
    - name: app
      image: busybox:1.36
      command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
`);
    assert.deepEqual(where(fs), ['unbounded-wait@9:25 warning', 'unbounded-wait@16:11 warning']);
    assert.match(fs[0]!.message, /^init container "wait-db" waits in an `until` loop that nothing bounds/);
    assert.match(fs[1]!.message, /`while` loop \(line 2 of the script\)/);
    assert.match(fs[0]!.fix, /podrun\.dev\/init-timeout\.wait-db: 60s/);
  });

  test('unbounded-wait: bounded by timeout around the shell, an init timeout, or activeDeadlineSeconds', () => {
    const pod = (extra: string, annotations = '{}') => `
apiVersion: v1
kind: Pod
metadata: {name: web, annotations: ${annotations}}
spec:
  ${extra}
  initContainers:
    - name: wait
      image: busybox:1.36
      ${REQ}
      command: [timeout, '60', sh, -c, 'until nc -z db 5432; do sleep 1; done']
    - name: wait2
      image: busybox:1.36
      ${REQ}
      command: [sh, -c, 'until timeout 1 nc -z db 5432; do sleep 1; done']
  containers:
    - {name: app, image: busybox:1.36}
`;
    assert.deepEqual(where(lintText(pod(''))), ['unbounded-wait@14:25 warning']);
    assert.deepEqual(where(lintText(pod('', '{podrun.dev/init-timeout.wait2: 30s}'))), []);
    assert.deepEqual(where(lintText(pod('', '{podrun.dev/init-timeout: 30s}'))), []);
    assert.deepEqual(where(lintText(pod('activeDeadlineSeconds: 600'))), []);
  });

  test('wait loops: what counts as waiting and as a bound', () => {
    const loops = (script: string) =>
      unboundedWaitLoops(shellScript({ name: 'c', command: ['/bin/sh', '-ec', script] })!).map(
        (l) => l.keyword,
      );
    assert.deepEqual(loops('until test -f /ready; do sleep 1; done'), ['until']);
    assert.deepEqual(loops('while [ ! -f /ready ]; do sleep 1; done'), ['while']);
    assert.deepEqual(loops('while true; do nc -z db 1 && break; sleep 1; done'), ['while']);
    assert.deepEqual(loops('while test ! -f /ready; do sleep 1; done'), ['while']);
    assert.deepEqual(loops('while [ "$(cat /state)" != ready ]; do sleep 1; done'), ['while']);
    assert.deepEqual(
      loops('while [ "$(curl -so /dev/null -w %{http_code} db)" -ne 200 ]; do sleep 1; done'),
      ['while'],
    );
    assert.deepEqual(loops('i=0; while [ $i -ne 10 ]; do i=$((i+1)); done'), []);
    assert.deepEqual(loops('while read line; do echo "$line"; done < /f'), []);
    assert.deepEqual(loops('echo "waiting until ready"'), []);
    assert.deepEqual(loops('n=0; until nc -z db 1; do n=$((n+1)); sleep 1; done'), []);
    assert.deepEqual(
      loops('end=$(($(date +%s)+60)); until nc -z db 1; do [ $(date +%s) -lt $end ] || exit 1; done'),
      [],
    );
    assert.deepEqual(loops('until nc -z db 1; do until nc -z db 2; do sleep 1; done; done'), ['until']);
    assert.deepEqual(loops("timeout 30 sh -c 'until nc -z db 1; do sleep 1; done'"), []);
    assert.equal(shellScript({ name: 'c', command: ['python3', '-c', 'x'] }), undefined);
    assert.deepEqual(shellScript({ name: 'c', command: ['sh', '-c'], args: ['echo hi'] }), {
      text: 'echo hi',
      field: 'args[0]',
      underTimeout: false,
    });
  });

  test('missing-reference: secretKeyRef, configMapKeyRef, envFrom and volumes naming objects the files lack', () => {
    const fs = lintText(`
apiVersion: v1
kind: Secret
metadata: {name: present}
stringData: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: api:1.0
          env:
            - name: A
              valueFrom: {secretKeyRef: {name: creds, key: a}}
            - name: B
              valueFrom: {configMapKeyRef: {name: settings, key: b}}
            - name: C
              valueFrom: {configMapKeyRef: {name: maybe, key: c, optional: true}}
          envFrom:
            - secretRef: {name: more}
          volumeMounts:
            - {name: cfg, mountPath: /cfg}
            - {name: data, mountPath: /data}
            - {name: mixed, mountPath: /mixed}
      volumes:
        - name: cfg
          configMap: {name: files}
        - name: data
          persistentVolumeClaim: {claimName: data}
        - name: mixed
          projected:
            sources:
              - secret: {name: present}
`);
    assert.deepEqual(where(fs), [
      'missing-reference@19:42 error',
      'missing-reference@21:45 error',
      'missing-reference@25:27 error',
      'missing-reference@32:23 error',
      'missing-reference@34:35 error',
      // The Secret "present" is in namespace default, not shop.
      'missing-reference@38:26 error',
    ]);
    assert.equal(
      fs[0]!.message,
      'container "api" reads A from Secret "creds", which none of the given files defines: the container will not start (CreateContainerConfigError) until it exists',
    );
    assert.equal(
      fs[0]!.fix,
      'add the Secret "creds" in namespace shop to these files, or pass the file that defines it with another -f; if the pod may run without it, set optional: true',
    );
    assert.match(fs[4]!.message, /PersistentVolumeClaim "data".*stays Pending/);
  });

  test('unmounted-volume, unpinned-image, init-without-requests: each at its field', () => {
    const fs = lintText(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
    - name: setup
      image: busybox
      command: [sh, -c, 'echo hi']
  containers:
    - name: app
      image: registry.local:5000/team/app:latest
      resources: {limits: {cpu: 100m}}
  volumes:
    - name: scratch
      emptyDir: {}
`);
    assert.deepEqual(where(fs), [
      'init-without-requests@6:7 warning',
      'unpinned-image@7:7 warning',
      'unpinned-image@11:7 warning',
      'unmounted-volume@14:7 warning',
    ]);
    assert.match(fs[1]!.message, /"busybox" without a tag, which means :latest/);
    assert.match(fs[2]!.message, /runs "registry.local:5000\/team\/app:latest"/);
    assert.equal(imagePin('registry.local:5000/app'), 'untagged');
    assert.equal(imagePin('app@sha256:abc'), 'digest');
    assert.equal(imagePin('app:1.2'), 'tag');
  });

  test('repeated-init-work: an app container with an init container’s image and command', () => {
    const fs = lintText(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
    - name: seed
      image: tools:1.0
      ${REQ}
      command: [seed, --all]
  containers:
    - name: app
      image: tools:1.0
      command: [seed, --all]
    - name: other
      image: tools:1.0
      command: [serve]
`);
    assert.deepEqual(where(fs), ['repeated-init-work@13:7 warning']);
    assert.match(
      fs[0]!.message,
      /^container "app" runs `seed --all` again, which init container "seed" \(the same image\)/,
    );
  });

  test('repeated-init-work: a command of an init container’s script that the app’s script runs again', () => {
    const fs = lintText(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
    - name: deps
      image: node:20
      ${REQ}
      command: [sh, -c, 'set -e; echo installing; npm ci --omit=dev']
    - name: wait
      image: busybox:1.36
      ${REQ}
      command: [sh, -c, 'i=0; until printf "GET /" | nc -w 2 db 80 | grep -q OK; do i=$((i+1)); sleep 1; done']
  containers:
    - name: app
      image: node:20
      command: [sh, -c, 'npm  ci --omit=dev && exec node server.js']
    - name: check
      image: busybox:1.36
      command: [sh, -c, 'printf "GET /" | nc -w 2 db 80 | grep -q served && echo ok']
    - name: tools
      image: node:21
      args: [sh, -c, 'npm ci --omit=dev']
`);
    // Not "check": a pipeline is compared whole; not "tools": another image is other work.
    assert.deepEqual(where(fs), ['repeated-init-work@17:25 warning']);
    assert.match(
      fs[0]!.message,
      /^container "app" runs `npm ci --omit=dev` again, which init container "deps" \(the same image\) already ran/,
    );
    assert.match(fs[0]!.fix, /^leave `npm ci --omit=dev` to init container "deps"/);
  });

  test('migration-per-replica: replicas > 1 with a migration init container is an error; a lock can be declared', () => {
    const deployment = (replicas: number, annotations = '{}') => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, annotations: ${annotations}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      initContainers:
        - name: schema
          image: flyway/flyway:10
          ${REQ}
          args: [migrate]
        - name: knex
          image: node:20
          ${REQ}
          command: [npx, knex, 'migrate:latest']
      containers:
        - {name: api, image: api:1.0}
`;
    const fs = lintText(deployment(3));
    assert.deepEqual(where(fs), ['migration-per-replica@11:11 error', 'migration-per-replica@15:11 error']);
    assert.match(
      fs[0]!.message,
      /^Deployment "api" runs 3 replicas and each runs init container "schema", which looks like a migration \("flyway"\)/,
    );
    assert.deepEqual(where(lintText(deployment(1))), []);
    assert.deepEqual(where(lintText(deployment(3, '{podrun.dev/lint-ignore: migration-per-replica}'))), []);
  });

  test('migration-per-replica: an app container whose command migrates, and replicas an autoscaler adds', () => {
    const fs = lintText(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: api:1.0
          command: [sh, -c, 'python manage.py migrate --noinput && exec gunicorn app']
        - name: worker
          image: api:1.0
          args: [worker, --migrations-dir=/app/migrations]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: web:1.0, command: [bundle, exec, rails, 'db:migrate']}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web-hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`);
    // Not "worker": a flag naming the migrations' directory runs none.
    assert.deepEqual(where(fs), ['migration-per-replica@13:29 error', 'migration-per-replica@27:70 error']);
    assert.match(
      fs[0]!.message,
      /^Deployment "api" runs 2 replicas and container "api" of each runs a migration \("migrate"\) as part of its command/,
    );
    assert.match(
      fs[1]!.message,
      /^Deployment "web" runs up to 4 replicas \(HorizontalPodAutoscaler "web-hpa"\) and container "web" of each runs a migration \("db:migrate"\)/,
    );
    assert.equal(
      migrationRun({ container: { name: 'x', command: ['npx', 'knex', 'migrate:latest'] } } as ContainerAt)
        ?.word,
      'migrate:latest',
    );
  });

  test('missing-reference: a key the defined Secret or ConfigMap lacks, and a ServiceAccount the files lack', () => {
    const fs = lintText(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {user: u}
data: {password: cA==}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  serviceAccountName: builder
  containers:
    - name: app
      image: app:1.0
      env:
        - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
        - {name: LEVEL, valueFrom: {configMapKeyRef: {name: settings, key: level}}}
        - {name: PASS, valueFrom: {secretKeyRef: {name: creds, key: password}}}
        - {name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token, optional: true}}}
      volumeMounts: [{name: cfg, mountPath: /cfg}]
  volumes:
    - name: cfg
      configMap:
        name: settings
        items:
          - {key: mode, path: mode}
          - {key: size, path: size}
---
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  serviceAccountName: deployer
  containers: [{name: app, image: app:1.0}]
`);
    assert.deepEqual(where(fs), [
      'missing-reference@20:3 error',
      'missing-reference@26:71 error',
      'missing-reference@36:14 error',
    ]);
    assert.equal(
      fs[0]!.message,
      'Pod "web" runs as ServiceAccount "builder", which none of the given files defines: the API server refuses the pod (error looking up service account) until it exists',
    );
    assert.equal(
      fs[1]!.message,
      'container "app" reads LEVEL from key "level" of ConfigMap "settings", which has no such key: the container will not start (CreateContainerConfigError) until it has',
    );
    assert.equal(
      fs[1]!.fix,
      'add the key "level" to the ConfigMap "settings" (app.yaml:1), or name one of its keys (mode); if the pod may run without it, set optional: true',
    );
    assert.match(
      fs[2]!.message,
      /^volume "cfg" of Pod "web" mounts key "size" of ConfigMap "settings", which has no such key: the pod will not start \(FailedMount\)/,
    );
  });

  test('invalid manifests are error findings at their position', () => {
    const fs = lintText(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      imagee: busybox:1.36
`);
    assert.deepEqual(where(fs), ['invalid@6:7 error', 'invalid@7:7 error']);
  });
});

function podrun(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'podrun'), ...args], {
    cwd: root,
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('podrun lint (the command)', () => {
  test('the examples are clean, images/ included; broken/ is all errors, exit 1', () => {
    const clean = podrun(['lint', '-f', 'examples', '-f', 'examples/images']);
    assert.deepEqual([clean.code, clean.stdout.split('\n').at(-2)], [0, '11 files checked: no findings']);
    const broken = podrun(['lint', '-f', 'examples/broken']);
    assert.equal(broken.code, 1);
    assert.match(
      broken.stdout,
      /^examples\/broken\/fields\.yaml:9:7: error: unknown field "spec\.containers\[0\]\.imagee" \[invalid\]\n {2}fix: /,
    );
  });

  test('--format json from stdin; warnings alone exit 0, an error exits 1', () => {
    const pod = (image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      image: ${image}
${extra}`;
    const warn = podrun(['lint', '-f', '-', '--format', 'json'], pod('busybox'));
    assert.equal(warn.code, 0, warn.stderr);
    const report = JSON.parse(warn.stdout) as { errors: number; warnings: number; findings: Finding[] };
    assert.deepEqual([report.errors, report.warnings], [0, 1]);
    assert.deepEqual(
      { ...report.findings[0], message: undefined, fix: undefined },
      {
        file: '<stdin>',
        line: 7,
        col: 7,
        severity: 'warning',
        rule: 'unpinned-image',
        message: undefined,
        fix: undefined,
      },
    );
    const err = podrun(
      ['lint', '-f', '-'],
      pod('busybox:1.36', '      envFrom: [{secretRef: {name: nope}}]\n'),
    );
    assert.equal(err.code, 1);
    assert.match(
      err.stdout,
      /^<stdin>:8:30: error: container "app" takes its environment from Secret "nope"/,
    );
    assert.match(err.stdout, /\n1 error, 0 warnings in 1 file\n$/);
    const absent = podrun(['lint', '-f', 'no-such-dir/app.yaml']);
    assert.equal(absent.code, 1);
    assert.match(
      absent.stdout,
      /^no-such-dir\/app\.yaml: error: the path "no-such-dir\/app\.yaml" does not exist \[invalid\]\n {2}fix: give -f a readable manifest file/,
    );
    const none = podrun(['lint']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /required option '-f, --filename <path>' not specified/);
  });
});
