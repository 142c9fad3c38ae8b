// Option parsers shared by the commands. Each error quotes what it got and says what it takes.
import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { DEFAULT_SERVICE_CIDR, parseServiceCidr, ServiceCidrError } from '../apiserver/service-ip/config.js';
import { DEFAULT_REGISTRIES_CONF, IMAGES_MODES, type ImagesMode } from '../server/runtimes.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as the kubelet's flags take them: `500ms`, `10s`, `5m`, `1m30s`. Returns ms. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNITS[m[2]!] ?? 0);
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) {
    throw new InvalidArgumentError(`expected a duration such as 500ms, 10s, 5m or 1m30s, got "${text}"`);
  }
  return total;
}

/**
 * A duration as people write it and `parseDuration` reads it back: `5m`, `1m30s`, `10s`, `500ms`, `1h`. Whole
 * units only past a second (sub-second rests are rounded away), no `0s` tails as Go's `5m0s`.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join('');
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(
      `expected a port number from 0 to 65535 (0 picks a free one), got "${text}"`,
    );
  }
  return n;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The kubelet's CrashLoopBackOff settings, shared by `serve` and `up`. */
export function backoffInitialOption() {
  return new Option('--backoff-initial <duration>', 'first CrashLoopBackOff delay (kubelet: 10s)')
    .argParser(parseDuration)
    .default(10_000, '10s');
}

export function backoffMaxOption() {
  return new Option('--backoff-max <duration>', 'CrashLoopBackOff cap (kubelet: 5m)')
    .argParser(parseDuration)
    .default(300_000, '5m');
}

/** `--service-cidr`: where Service ClusterIPs come from (kube-apiserver --service-cluster-ip-range). */
export function parseServiceCidrOption(text: string): string {
  try {
    return parseServiceCidr(text).text;
  } catch (e) {
    if (e instanceof ServiceCidrError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

export function serviceCidrOption() {
  return new Option(
    '--service-cidr <cidr>',
    'IPv4 range of Service ClusterIPs; kubernetes takes its first address, kube-dns the tenth',
  )
    .argParser(parseServiceCidrOption)
    .default(DEFAULT_SERVICE_CIDR);
}

/** `--images pull|host`: where containers' root filesystems come from. */
export function parseImagesMode(text: string): ImagesMode {
  if ((IMAGES_MODES as readonly string[]).includes(text)) return text as ImagesMode;
  throw new InvalidArgumentError(
    `expected pull (containers run on images pulled from registries) or host (containers run on the host's filesystem, the image is only a label), got "${text}"`,
  );
}

export function imagesOption() {
  return new Option('--images <mode>', "where containers' files come from: pull (images) or host")
    .argParser(parseImagesMode)
    .default('pull' as ImagesMode);
}

function parsePercent(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n > 100) {
      throw new InvalidArgumentError(`${flag} takes a whole percentage from 0 to 100, got "${text}"`);
    }
    return n;
  };
}

/** The kubelet's image garbage collection flags (ImageGCPolicy), with its defaults. */
export function imageGcOptions() {
  return [
    new Option(
      '--image-gc-high-threshold <percent>',
      'disk usage at which unused images are removed (kubelet: 85; 100 turns it off)',
    )
      .argParser(parsePercent('--image-gc-high-threshold'))
      .default(85),
    new Option(
      '--image-gc-low-threshold <percent>',
      'disk usage that image garbage collection frees down to (kubelet: 80)',
    )
      .argParser(parsePercent('--image-gc-low-threshold'))
      .default(80),
    new Option(
      '--minimum-image-ttl-duration <duration>',
      'an unused image younger than this is never removed for space (kubelet: 2m)',
    )
      .argParser(parseDuration)
      .default(120_000, '2m'),
    new Option(
      '--image-maximum-gc-age <duration>',
      'unused images not used for this long are removed whatever the usage (kubelet: 0s, off)',
    )
      .argParser(parseDuration)
      .default(0, '0s'),
  ] as const;
}

export function imagePullSyncFsOption() {
  return new Option(
    '--image-pull-sync-fs',
    "flush each pulled blob and unpacked layer to disk before it is used, so a power cut cannot leave an image half written (containerd's fsync and image_pull_with_sync_fs; slower pulls)",
  ).default(false);
}

export function registriesConfOption() {
  return new Option(
    '--registries-conf <file>',
    'containers-registries.conf(5): short-name search, mirrors, insecure registries (a missing file is none)',
  ).default(DEFAULT_REGISTRIES_CONF);
}
