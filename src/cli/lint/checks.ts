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
import { checkReferences, definedObjects } from './references.js';
import { shellScript, unboundedWaitLoops, workCommands } from './shell.js';

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

/** A command of `init` that `app` runs again, when both run the same image (the same work, not a namesake). */
function repeatedCommand(init: ContainerAt, app: ContainerAt): string | undefined {
  if (!init.container.image || init.container.image !== app.container.image) return undefined;
  const done = new Set(workCommands(init.container).commands);
  return workCommands(app.container).commands.find((cmd) => done.has(cmd));
}

function checkRepeatedWork(source: PodSource, report: Report): void {
  const all = containersOf(source);
  const inits = all.filter((c) => c.regularInit);
  for (const app of all.filter((c) => c.list === 'containers')) {
    for (const init of inits) {
      const cmd = repeatedCommand(init, app);
      if (!cmd) continue;
      report(
        'repeated-init-work',
        `${app.path}.${workCommands(app.container).field}`,
        `${describeContainer(app)} runs \`${cmd}\` again, which ${describeContainer(init)} (the same image) already ran: the work is done once before the app starts and again as the app (and on every restart of the app)`,
        `leave \`${cmd}\` to ${describeContainer(init)} and give ${describeContainer(app)} the app's own command, or drop ${describeContainer(init)} if the work belongs to the app`,
      );
      break;
    }
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

// A word of an app container's command that runs a migration: `manage.py migrate`, `rails db:migrate`,
// `knex migrate:latest`, `typeorm migration:run`, `flyway migrate`, `alembic upgrade head`. Narrower than
// MIGRATION: an app's command also names directories and flags (`--migrations-dir`), which are not a run.
const MIGRATION_RUN =
  /^(?:(?:db:)?migrate(?::[\w-]+)?|migration:run|flyway|liquibase|alembic|dbmate|goose|sqitch)$/;

/** The word of a container's command or args (split as a shell would, roughly) that runs a migration, and its field. */
export function migrationRun(c: ContainerAt): { word: string; field: string } | undefined {
  const items = [
    ...(c.container.command ?? []).map((w, i) => ({ w, field: `command[${i}]` })),
    ...(c.container.args ?? []).map((w, i) => ({ w, field: `args[${i}]` })),
  ];
  for (const { w, field } of items) {
    const words = w.split(/[\s;&|()'"`]+/).map((x) => x.slice(x.lastIndexOf('/') + 1));
    const word = words.find((x) => MIGRATION_RUN.test(x));
    if (word) return { word, field };
  }
  return undefined;
}

function checkMigrationPerReplica(source: PodSource, report: Report): void {
  const most = Math.max(source.replicas, source.autoscaler?.maxReplicas ?? 1);
  if (most <= 1) return;
  const runs =
    source.replicas > 1 && source.replicas >= most
      ? `runs ${source.replicas} replicas`
      : `runs up to ${most} replicas (HorizontalPodAutoscaler "${source.autoscaler?.name}")`;
  const fix = `run the migration once, in a Job applied before the ${source.kind} (podrun up applies files in order) that the app waits for; if the tool takes a lock of its own (flyway, liquibase, knex, alembic with a lock table), say so with the annotation podrun.dev/lint-ignore: migration-per-replica`;
  for (const c of containersOf(source)) {
    if (c.regularInit) {
      const word = migrationWord(c);
      if (!word) continue;
      report(
        'migration-per-replica',
        `${c.path}.name`,
        `${describeSource(source)} ${runs} and each runs ${describeContainer(c)}, which looks like a migration ("${word}"): every replica migrates the same database at once, on every rollout and every restart`,
        fix,
      );
      continue;
    }
    const run = migrationRun(c);
    if (!run) continue;
    report(
      'migration-per-replica',
      `${c.path}.${run.field}`,
      `${describeSource(source)} ${runs} and ${describeContainer(c)} of each runs a migration ("${run.word}") as part of its command: every replica migrates the same database at once, on every rollout and every restart`,
      fix,
    );
  }
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
    // Errors of the file itself (missing, binary, too large) have no position in it.
    fix:
      e.line > 0
        ? 'make the manifest valid (`podrun validate` lists the same errors); the other checks skip an invalid object'
        : 'give -f a readable manifest file (YAML or JSON), a directory of them, or - for stdin',
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
