// One volume of a PodSpec (validateVolumeSource and the sources' own rules): exactly one source, the paths and
// modes of the files a secret, configMap, downwardAPI or projected volume writes.
import type { KeyToPath, Volume } from 'kubernetes-types/core/v1.js';
import { VOLUME_SOURCES } from '../volume-sources.js';
import { type FieldError, forbidden, invalid, notSupported, required } from './field-error.js';
import { validateFieldRef } from './field-ref.js';
import { child, index, type Path } from './path.js';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];
const VOLUME_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];

/** Local paths inside a volume: relative, no `..` element (validateLocalDescendingPath). */
export function validateLocalDescendingPath(p: string, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split(/[\\/]/).includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  return errs;
}

function validateLocalNonReservedPath(p: string, path: Path): FieldError[] {
  const errs = validateLocalDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(path, p, "must not start with '..'"));
  return errs;
}

function validateKeyToPath(kp: KeyToPath, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!kp.key) errs.push(required(child(path, 'key')));
  if (!kp.path) errs.push(required(child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(kp.path ?? '', child(path, 'path')));
  errs.push(...fileMode(kp.mode, child(path, 'mode')));
  return errs;
}

function fileMode(mode: number | undefined, path: Path): FieldError[] {
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [invalid(path, mode, FILE_MODE_ERROR)] : [];
}

export function validateVolume(vol: Volume, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const src of VOLUME_SOURCES) {
    if (vol[src] === undefined) continue;
    if (count > 0) {
      errs.push(forbidden(child(path, src), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const sp = child(path, src);
    switch (src) {
      case 'hostPath': {
        const hp = vol.hostPath!;
        if (!hp.path) {
          errs.push(required(child(sp, 'path')));
          break;
        }
        if (hp.path.split('/').includes('..'))
          errs.push(invalid(child(sp, 'path'), hp.path, "must not contain '..'"));
        if (hp.type !== undefined && !HOST_PATH_TYPES.includes(hp.type)) {
          errs.push(notSupported(child(sp, 'type'), hp.type, HOST_PATH_TYPES));
        }
        break;
      }
      case 'secret': {
        const s = vol.secret!;
        if (!s.secretName) errs.push(required(child(sp, 'secretName')));
        errs.push(...fileMode(s.defaultMode, child(sp, 'defaultMode')));
        (s.items ?? []).forEach((kp, i) => {
          errs.push(...validateKeyToPath(kp, index(child(sp, 'items'), i)));
        });
        break;
      }
      case 'configMap': {
        const c = vol.configMap!;
        if (!c.name) errs.push(required(child(sp, 'name')));
        errs.push(...fileMode(c.defaultMode, child(sp, 'defaultMode')));
        (c.items ?? []).forEach((kp, i) => {
          errs.push(...validateKeyToPath(kp, index(child(sp, 'items'), i)));
        });
        break;
      }
      case 'persistentVolumeClaim':
        if (!vol.persistentVolumeClaim!.claimName) errs.push(required(child(sp, 'claimName')));
        break;
      case 'downwardAPI': {
        const d = vol.downwardAPI!;
        errs.push(...fileMode(d.defaultMode, child(sp, 'defaultMode')));
        (d.items ?? []).forEach((item, i) => {
          const ip = index(child(sp, 'items'), i);
          if (!item.path) errs.push(required(child(ip, 'path')));
          errs.push(...validateLocalNonReservedPath(item.path ?? '', child(ip, 'path')));
          errs.push(...fileMode(item.mode, child(ip, 'mode')));
          if (item.fieldRef) {
            errs.push(...validateFieldRef(item.fieldRef, VOLUME_FIELD_PATHS, child(ip, 'fieldRef')));
            if (item.resourceFieldRef) {
              errs.push(
                invalid(ip, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'),
              );
            }
          } else if (!item.resourceFieldRef) {
            errs.push(required(ip, 'one of fieldRef and resourceFieldRef is required'));
          }
        });
        break;
      }
      case 'projected': {
        const pr = vol.projected!;
        errs.push(...fileMode(pr.defaultMode, child(sp, 'defaultMode')));
        (pr.sources ?? []).forEach((s, i) => {
          const srcPath = index(child(sp, 'sources'), i);
          const kinds = (
            ['secret', 'downwardAPI', 'configMap', 'serviceAccountToken', 'clusterTrustBundle'] as const
          ).filter((k) => s[k] !== undefined);
          if (kinds.length !== 1)
            errs.push(forbidden(srcPath, 'may not specify more than 1 volume type per source'));
          s.secret?.items?.forEach((kp, j) => {
            errs.push(...validateKeyToPath(kp, index(child(srcPath, 'secret', 'items'), j)));
          });
          s.configMap?.items?.forEach((kp, j) => {
            errs.push(...validateKeyToPath(kp, index(child(srcPath, 'configMap', 'items'), j)));
          });
          if (s.serviceAccountToken && !s.serviceAccountToken.path) {
            errs.push(required(child(srcPath, 'serviceAccountToken', 'path')));
          }
        });
        break;
      }
      default:
        break;
    }
  }
  if (count === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}
