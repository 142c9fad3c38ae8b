// `podrun image pull|ls|rm|load`: the images of the node, through the `podrun serve` of the state directory
// (crictl's and podman's commands, worded like theirs).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { AuthConfig } from '../../runtime/types.js';
import { defaultStateDir } from '../../server/state-dir.js';
import { connectImageClient, type ImageClient } from '../client/images.js';
import { examples } from '../kubectl/common.js';
import { formatPull, imageTable } from '../progress/images.js';
import { liveOutput } from '../progress/live.js';
import { fail } from '../report.js';

const POLL_MS = 250;

function stateDirOption() {
  return new Option('--state-dir <dir>', 'state directory of the `podrun serve` to talk to').default(
    defaultStateDir(),
  );
}

async function connect(stateDir: string): Promise<ImageClient> {
  return connectImageClient(stateDir).catch((err: unknown) => fail(err, 'no server'));
}

/** `--creds USER:PASSWORD`, as crictl and podman take it. */
export function parseCreds(text: string): AuthConfig {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError(`want USER:PASSWORD, got "${text}"`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function pullCommand() {
  return new Command('pull')
    .description('Pull an image from its registry onto the node; prints its id')
    .argument('<ref>', 'image reference, such as busybox:1.36 or registry:5000/app@sha256:…')
    .option('--creds <user:password>', 'credentials for the registry', parseCreds)
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      examples([
        ['Pull an image onto the node, with progress', 'podrun image pull busybox:1.36'],
        ['From a private registry', 'podrun image pull registry.example.com/team/app:2.1 --creds user:token'],
      ]),
    )
    .action(async (ref, opts) => {
      const client = await connect(opts.stateDir);
      const out = liveOutput(process.stderr);
      let settled = false;
      const pulling = client.pull(ref, opts.creds).finally(() => {
        settled = true;
      });
      // Progress comes from the server's list of pulls, polled while the pull request waits.
      let lastPlain = '';
      while (!settled) {
        await Promise.race([pulling.catch(() => {}), new Promise((r) => setTimeout(r, POLL_MS))]);
        if (settled) break;
        const mine = (await client.pulls().catch(() => [])).filter((p) => p.image === ref);
        if (out.live) {
          out.status(mine.map((p) => `pulling ${formatPull(p, Date.now())}`));
          continue;
        }
        // Without a terminal, a line per layer finished rather than per poll.
        const p = mine[0];
        const key = p ? `${p.layersDone}/${p.layers}` : '';
        if (p && key !== lastPlain) out.line(`pulling ${formatPull(p, Date.now())}`);
        lastPlain = key;
      }
      out.status([]);
      const result = await pulling.catch((err: unknown) => fail(err, `pulling ${ref} failed`));
      process.stdout.write(`${result.id}\n`);
    });
}

function lsCommand() {
  return new Command('ls')
    .alias('list')
    .description('List the images on the node (IMAGE, TAG, IMAGE ID, SIZE)')
    .option('-q, --quiet', 'only the image ids')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      examples([
        ['The node’s images, one row per tag', 'podrun image ls'],
        ['Only the ids', 'podrun image ls -q'],
      ]),
    )
    .action(async (opts) => {
      const client = await connect(opts.stateDir);
      const images = await client.list().catch((err: unknown) => fail(err, 'listing images failed'));
      if (opts.quiet) {
        for (const id of new Set(images.map((i) => i.id))) process.stdout.write(`${id}\n`);
        return;
      }
      process.stdout.write(imageTable(images));
    });
}

function rmCommand() {
  return new Command('rm')
    .alias('rmi')
    .description('Remove images from the node (a tag, or an id for every tag of it)')
    .argument('<refs...>', 'image references or ids')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      examples([['Remove an image by tag or by id', 'podrun image rm busybox:1.36 3f57d9401f8d']]),
    )
    .action(async (refs, opts) => {
      const client = await connect(opts.stateDir);
      // Each one is tried, as podman does; any failure makes the exit code 1.
      let failed = false;
      for (const ref of refs) {
        try {
          await client.remove(ref);
          process.stdout.write(`Deleted: ${ref}\n`);
        } catch (err) {
          failed = true;
          process.stderr.write(`podrun: removing ${ref} failed: ${(err as Error).message}\n`);
        }
      }
      if (failed) process.exit(1);
    });
}

/**
 * The archive to send: a file (its size known), stdin for `-`, or an OCI layout directory, packed on the fly
 * by tar (as `skopeo copy oci:DIR` reads one). Other directories are refused with advice.
 */
async function archiveSource(file: string): Promise<{ stream: Readable; length?: number }> {
  if (file === '-') return { stream: process.stdin };
  const st = await stat(file);
  if (st.isDirectory()) {
    if (!(await stat(join(file, 'oci-layout')).catch(() => undefined))) {
      throw new Error(
        `${file} is a directory but not an OCI image layout (no oci-layout file); give a docker save or OCI archive, or an OCI layout directory`,
      );
    }
    const tar = spawn('tar', ['-C', file, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    tar.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    tar.on('close', (code) => {
      if (code !== 0)
        tar.stdout.destroy(new Error(`tar -C ${file} -cf - . failed (exit ${code}): ${stderr.trim()}`));
    });
    return { stream: tar.stdout };
  }
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  return { stream: createReadStream(file), length: st.size };
}

function loadCommand() {
  return new Command('load')
    .description(
      'Load images from a docker save tarball, an OCI archive or an OCI layout directory (- for stdin)',
    )
    .argument('[file]', 'the archive')
    .option('-i, --input <file>', 'the archive (as docker load -i)')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      examples([
        ['Load an image built with docker', 'docker save my-app:dev | podrun image load -'],
        ['Load an OCI archive or layout directory', 'podrun image load my-app.oci.tar'],
      ]),
    )
    .action(async (fileArg, opts) => {
      const file = opts.input ?? fileArg;
      if (!file) fail(new Error('no archive given'), 'podrun image load FILE (or -i FILE, or - for stdin)');
      const source = await archiveSource(file).catch((err: unknown) => fail(err, `cannot read ${file}`));
      const client = await connect(opts.stateDir);
      const name = file === '-' ? 'stdin' : file;
      const images = await client
        .load(source.stream, name, source.length)
        .catch((err: unknown) => fail(err, `loading ${name} failed`));
      for (const img of images) {
        if (img.repoTags.length === 0) process.stdout.write(`Loaded image ID: ${img.id}\n`);
        for (const t of img.repoTags) process.stdout.write(`Loaded image: ${t}\n`);
      }
    });
}

export function imageCommand(): Command {
  return new Command('image')
    .description('Pull, list, remove and load the node’s images (through the `podrun serve` of --state-dir)')
    .addCommand(pullCommand())
    .addCommand(lsCommand())
    .addCommand(rmCommand())
    .addCommand(loadCommand());
}
