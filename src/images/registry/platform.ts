// Platform selection from an index as containerd's platforms package does it (compare.go, database.go,
// defaults.go): normalise names, match os/arch/variant exactly after normalisation, accept the
// host's compatible fallbacks (amd64 → 386, arm64 → arm/v8…v5, arm/vN → lower arm variants) and prefer
// the closest one.
import { arch as hostArch } from 'node:os';
import type { Platform } from './manifest.js';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant: string;
}

/** `linux/<GOARCH>`; the variant is only set on ARM (containerd's DefaultSpec). */
export function hostPlatform(): PlatformSpec {
  const goArch: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  const architecture = goArch[hostArch()] ?? hostArch();
  return normalizePlatform({
    os: 'linux',
    architecture,
    variant: architecture === 'arm' ? 'v7' : architecture === 'arm64' ? 'v8' : '',
  });
}

/** containerd `platforms.Normalize`. */
export function normalizePlatform(p: Platform | PlatformSpec): PlatformSpec {
  const os = (p.os || '').toLowerCase() === 'macos' ? 'darwin' : (p.os || '').toLowerCase();
  let architecture = (p.architecture || '').toLowerCase();
  let variant = (p.variant || '').toLowerCase();
  switch (architecture) {
    case 'i386':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7' || variant === 'v7') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return { os, architecture, variant };
}

/** The platforms a host runs, best first (containerd `platformVector`). */
export function platformVector(host: PlatformSpec): PlatformSpec[] {
  const p = normalizePlatform(host);
  const out: PlatformSpec[] = [p];
  if (p.architecture === 'amd64') {
    const level = p.variant.startsWith('v') ? Number(p.variant.slice(1)) : 1;
    for (let v = level - 1; v >= 1; v--) out.push({ ...p, variant: v === 1 ? '' : `v${v}` });
    out.push({ os: p.os, architecture: '386', variant: '' });
  } else if (p.architecture === 'arm64') {
    for (let v = 8; v >= 5; v--) out.push({ os: p.os, architecture: 'arm', variant: `v${v}` });
  } else if (p.architecture === 'arm') {
    const level = Number(p.variant.slice(1)) || 7;
    for (let v = level - 1; v >= 5; v--) out.push({ ...p, variant: `v${v}` });
  }
  return out;
}

/** Rank of `p` for the host: 0 is the best; undefined when it does not run there. */
export function platformRank(host: PlatformSpec, p: Platform | undefined): number | undefined {
  if (p === undefined) return Number.MAX_SAFE_INTEGER; // containerd keeps platform-less children, last
  const n = normalizePlatform(p);
  const i = platformVector(host).findIndex(
    (v) => v.os === n.os && v.architecture === n.architecture && v.variant === n.variant,
  );
  return i < 0 ? undefined : i;
}

export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== '').join('/');
}

export function parsePlatform(s: string): PlatformSpec {
  const [os = '', architecture = '', variant = ''] = s.split('/');
  return normalizePlatform({ os, architecture, variant });
}
