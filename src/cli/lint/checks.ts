// `podrun lint`'s checks: what validation accepts but a startup gets wrong. Each check reads the pods the
// manifests make (pod-specs.ts) and reports findings located at the field they are about. Pure: the files are
// read and validated by loadManifests before.
import { INIT_TIMEOUT_ANNOTATION, INIT_TIMEOUT_PREFIX } from '../../api/init-timeout.js';
import type { ManifestDocument, ManifestError } from '../../api/manifests.js';
import { byPosition, type Finding, type Rule, SEVERITY } from './findings.js';
import {
  type ContainerAt,
  containersOf,
  describeContainer,
  describeSource,
  type PodSource,
  podSources,
} from './pod-specs.js';
import { shellScript, unboundedWaitLoops } from './shell.js';

type Report = (rule: Rule, field: string, message: string, fix: string) => void;

function reporter(source: PodSource, out: Finding[]): Report {
  return (rule, field, message, fix) => {
    if (source.ignored.has(rule)) return;
    const at = source.doc.at?.(field) ?? { line: source.doc.line, col: source.doc.col };
    out.push({ file: source.doc.file, ...at, severity: SEVERITY[rule], rule, message, fix });
  };
}

function checkWaitLoops(source: PodSource, report: Report): void {
  // activeDeadlineSeconds ends the whole pod, so every wait in it has a bound.
  if (source.spec.activeDeadlineSeconds) return;
  for (const c of containersOf(source)) {
    const script = shellScript(c.container);
    if (!script) continue;
    const hasTimeout =
      c.regularInit &&
      (source.podAnnotations[`${INIT_TIMEOUT_PREFIX}${c.container.name}`] !== undefined ||
        source.podAnnotations[INIT_TIMEOUT_ANNOTATION] !== undefined);
    if (hasTimeout) continue;
    for (const loop of unboundedWaitLoops(script)) {
      const where = script.text.includes('\n') ? ` (line ${loop.line} of the script)` : '';
      report(
        'unbounded-wait',
        `${c.path}.${script.field}`,
        `${describeContainer(c)} waits in an \`${loop.keyword}\` loop${where} that nothing bounds: if what it waits for never comes, the pod stays in ${c.list === 'initContainers' ? 'Init' : 'Running'} forever and says nothing`,
        c.regularInit
          ? `count attempts and fail after N (\`i=0; until …; do i=$((i+1)); [ "$i" -ge 30 ] && exit 1; sleep 2; done\`), run the script under \`timeout 60 sh -c '…'\`, or give it a podrun timeout with the annotation ${INIT_TIMEOUT_PREFIX}${c.container.name}: 60s`
          : 'count attempts and fail after N (`i=0; until …; do i=$((i+1)); [ "$i" -ge 30 ] && exit 1; sleep 2; done`), or run the script under `timeout 60 sh -c \'…\'`',
      );
    }
  }
}

type RefKind = 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim';

function checkReferences(source: PodSource, defined: ReadonlySet<string>, report: Report): void {
  const missing = (kind: RefKind, name: string | undefined, optional: boolean | undefined) =>
    !!name && !optional && !defined.has(`${kind}/${source.namespace}/${name}`);
  const where = source.namespace === 'default' ? '' : ` in namespace ${source.namespace}`;
  const fix = (kind: RefKind, name: string, canBeOptional: boolean) =>
    `add the ${kind} "${name}"${where} to these files, or pass the file that defines it with another -f${canBeOptional ? '; if the pod may run without it, set optional: true' : ''}`;
  const consequence = (envVar: boolean) =>
    envVar
      ? 'the container will not start (CreateContainerConfigError) until it exists'
      : 'the pod will not start (FailedMount) until it exists';

  for (const c of containersOf(source)) {
    (c.container.env ?? []).forEach((e, j) => {
      const p = `${c.path}.env[${j}].valueFrom`;
      const s = e.valueFrom?.secretKeyRef;
      if (s && missing('Secret', s.name, s.optional)) {
        report(
          'missing-reference',
          `${p}.secretKeyRef.name`,
          `${describeContainer(c)} reads ${e.name} from Secret "${s.name}", which none of the given files defines: ${consequence(true)}`,
          fix('Secret', s.name!, true),
        );
      }
      const m = e.valueFrom?.configMapKeyRef;
      if (m && missing('ConfigMap', m.name, m.optional)) {
        report(
          'missing-reference',
          `${p}.configMapKeyRef.name`,
          `${describeContainer(c)} reads ${e.name} from ConfigMap "${m.name}", which none of the given files defines: ${consequence(true)}`,
          fix('ConfigMap', m.name!, true),
        );
      }
    });
    (c.container.envFrom ?? []).forEach((e, j) => {
      const p = `${c.path}.envFrom[${j}]`;
      if (e.secretRef && missing('Secret', e.secretRef.name, e.secretRef.optional)) {
        report(
          'missing-reference',
          `${p}.secretRef.name`,
          `${describeContainer(c)} takes its environment from Secret "${e.secretRef.name}", which none of the given files defines: ${consequence(true)}`,
          fix('Secret', e.secretRef.name!, true),
        );
      }
      if (e.configMapRef && missing('ConfigMap', e.configMapRef.name, e.configMapRef.optional)) {
        report(
          'missing-reference',
          `${p}.configMapRef.name`,
          `${describeContainer(c)} takes its environment from ConfigMap "${e.configMapRef.name}", which none of the given files defines: ${consequence(true)}`,
          fix('ConfigMap', e.configMapRef.name!, true),
        );
      }
    });
  }
  (source.spec.volumes ?? []).forEach((v, i) => {
    const p = `${source.specPath}.volumes[${i}]`;
    const volume = `volume "${v.name}" of ${describeSource(source)}`;
    if (v.secret && missing('Secret', v.secret.secretName, v.secret.optional)) {
      report(
        'missing-reference',
        `${p}.secret.secretName`,
        `${volume} mounts Secret "${v.secret.secretName}", which none of the given files defines: ${consequence(false)}`,
        fix('Secret', v.secret.secretName!, true),
      );
    }
    if (v.configMap && missing('ConfigMap', v.configMap.name, v.configMap.optional)) {
      report(
        'missing-reference',
        `${p}.configMap.name`,
        `${volume} mounts ConfigMap "${v.configMap.name}", which none of the given files defines: ${consequence(false)}`,
        fix('ConfigMap', v.configMap.name!, true),
      );
    }
    const claim = v.persistentVolumeClaim?.claimName;
    if (claim && missing('PersistentVolumeClaim', claim, false)) {
      report(
        'missing-reference',
        `${p}.persistentVolumeClaim.claimName`,
        `${volume} uses PersistentVolumeClaim "${claim}", which none of the given files defines: the pod stays Pending until it exists`,
        fix('PersistentVolumeClaim', claim, false),
      );
    }
    (v.projected?.sources ?? []).forEach((s, k) => {
      const sp = `${p}.projected.sources[${k}]`;
      if (s.secret && missing('Secret', s.secret.name, s.secret.optional)) {
        report(
          'missing-reference',
          `${sp}.secret.name`,
          `${volume} projects Secret "${s.secret.name}", which none of the given files defines: ${consequence(false)}`,
          fix('Secret', s.secret.name!, true),
        );
      }
      if (s.configMap && missing('ConfigMap', s.configMap.name, s.configMap.optional)) {
        report(
          'missing-reference',
          `${sp}.configMap.name`,
          `${volume} projects ConfigMap "${s.configMap.name}", which none of the given files defines: ${consequence(false)}`,
          fix('ConfigMap', s.configMap.name!, true),
        );
      }
    });
  });
}

function checkUnmountedVolumes(source: PodSource, report: Report): void {
  const used = new Set<string>();
  for (const { container } of containersOf(source)) {
    for (const m of container.volumeMounts ?? []) used.add(m.name);
    for (const d of container.volumeDevices ?? []) used.add(d.name);
  }
  (source.spec.volumes ?? []).forEach((v, i) => {
    if (used.has(v.name)) return;
    report(
      'unmounted-volume',
      `${source.specPath}.volumes[${i}].name`,
      `volume "${v.name}" of ${describeSource(source)} is defined but no container mounts it: it is set up for every pod (and waits for its source) for nothing, or a volumeMounts entry is missing`,
      `add a volumeMounts entry with name: ${v.name} to the container that needs it, or remove the volume`,
    );
  });
}

/** `busybox` and `busybox:latest` float; a tag other than latest or a digest pins. */
export function imagePin(image: string): 'digest' | 'tag' | 'latest' | 'untagged' {
  if (image.includes('@')) return 'digest';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  if (colon < 0) return 'untagged';
  return last.slice(colon + 1) === 'latest' ? 'latest' : 'tag';
}

function checkImages(source: PodSource, report: Report): void {
  for (const c of containersOf(source)) {
    const image = c.container.image;
    if (!image) continue;
    const pin = imagePin(image);
    if (pin === 'digest' || pin === 'tag') continue;
    report(
      'unpinned-image',
      `${c.path}.image`,
      `${describeContainer(c)} runs ${pin === 'latest' ? `"${image}"` : `"${image}" without a tag, which means :latest`}: the image can change under you between two startups, and imagePullPolicy defaults to Always, so every start pulls`,
      `pin a version (${image.replace(/:latest$/, '')}:1.2.3) or a digest (@sha256:…)`,
    );
  }
}

function checkInitRequests(source: PodSource, report: Report): void {
  for (const c of containersOf(source)) {
    if (c.list !== 'initContainers') continue;
    const r = c.container.resources;
    // Limits without requests default the requests to them.
    if (Object.keys(r?.requests ?? {}).length > 0 || Object.keys(r?.limits ?? {}).length > 0) continue;
    report(
      'init-without-requests',
      `${c.path}.resources`,
      `${describeContainer(c)} has no resource requests: while it runs it gets the smallest CPU share on the node, so a heavy step (a migration, a cache warm-up) is starved under load, and the scheduler plans the pod without it`,
      'set resources.requests (cpu and memory) to what the step needs, e.g. {cpu: 100m, memory: 64Mi}',
    );
  }
}

function sameWork(a: ContainerAt, b: ContainerAt): boolean {
  const argv = (c: ContainerAt) => JSON.stringify([c.container.command ?? [], c.container.args ?? []]);
  const hasArgv = (c: ContainerAt) =>
    (c.container.command?.length ?? 0) + (c.container.args?.length ?? 0) > 0;
  return a.container.image === b.container.image && hasArgv(a) && argv(a) === argv(b);
}

function checkRepeatedWork(source: PodSource, report: Report): void {
  const all = containersOf(source);
  const inits = all.filter((c) => c.regularInit);
  for (const app of all.filter((c) => c.list === 'containers')) {
    const init = inits.find((i) => sameWork(i, app));
    if (!init) continue;
    report(
      'repeated-init-work',
      `${app.path}.${app.container.command?.length ? 'command' : 'args'}`,
      `${describeContainer(app)} runs the same image and command as ${describeContainer(init)}: the work is done once before the app starts and again as the app (and on every restart of the app)`,
      `give ${describeContainer(app)} the app's own command, or drop ${describeContainer(init)} if the work belongs to the app`,
    );
  }
}

const MIGRATION =
  /\b(?:flyway|liquibase|alembic|knex|prisma|sequelize|typeorm|goose|dbmate|sqitch|migrate|migrations?)\b|db:migrate/i;

/** What makes an init container look like a migration: its name, image, command or args. */
export function migrationWord(c: ContainerAt): string | undefined {
  const words = [
    c.container.name,
    c.container.image ?? '',
    ...(c.container.command ?? []),
    ...(c.container.args ?? []),
  ];
  for (const w of words) {
    const m = MIGRATION.exec(w);
    if (m) return m[0];
  }
  return undefined;
}

function checkMigrationPerReplica(source: PodSource, report: Report): void {
  if (source.replicas <= 1) return;
  for (const c of containersOf(source)) {
    if (!c.regularInit) continue;
    const word = migrationWord(c);
    if (!word) continue;
    report(
      'migration-per-replica',
      `${c.path}.name`,
      `${describeSource(source)} runs ${source.replicas} replicas and each runs ${describeContainer(c)}, which looks like a migration ("${word}"): every replica migrates the same database at once, on every rollout and every restart`,
      `run the migration once, in a Job applied before the ${source.kind} (podrun up applies files in order) that the app waits for; if the tool takes a lock of its own (flyway, liquibase, knex, alembic with a lock table), say so with the annotation podrun.dev/lint-ignore: migration-per-replica`,
    );
  }
}

/** Secrets, ConfigMaps and PVCs the files define, as `Kind/namespace/name`. */
function definedObjects(docs: readonly ManifestDocument[]): Set<string> {
  const out = new Set<string>();
  for (const d of docs) {
    const k = d.object.kind;
    if (k === 'Secret' || k === 'ConfigMap' || k === 'PersistentVolumeClaim') {
      out.add(`${k}/${d.object.metadata?.namespace || 'default'}/${d.object.metadata?.name}`);
    }
  }
  return out;
}

/** Every finding for the valid documents, and the load's errors as `invalid` findings; by position. */
export function lint(docs: readonly ManifestDocument[], errors: readonly ManifestError[] = []): Finding[] {
  const out: Finding[] = errors.map((e) => ({
    file: e.file,
    line: e.line,
    col: e.col,
    severity: 'error',
    rule: 'invalid',
    message: e.message,
    fix: 'make the manifest valid (`podrun validate` lists the same errors); the other checks skip an invalid object',
  }));
  const defined = definedObjects(docs);
  for (const source of podSources(docs)) {
    const report = reporter(source, out);
    checkReferences(source, defined, report);
    checkMigrationPerReplica(source, report);
    checkWaitLoops(source, report);
    checkImages(source, report);
    checkInitRequests(source, report);
    checkUnmountedVolumes(source, report);
    checkRepeatedWork(source, report);
  }
  return out.sort(byPosition);
}
