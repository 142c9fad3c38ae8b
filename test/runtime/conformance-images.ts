// Image cases of the conformance suite: containers with rootfs `image` and the CRI image calls. They run where
// the runtime was given ConformanceOptions.images (prepareImage, see conformance-context.ts); the fixtures are
// OCI layouts made from busybox-static (test/support/image-fixtures.ts):
// - `conformance/app:1`: Entrypoint `/bin/echo entrypoint`, Cmd `from-cmd`, Env PATH=/bin:/usr/bin
//   IMAGE_ONLY=image SHARED=image, User `app` (1000:1000, in group extra 2000), WorkingDir /home/app,
//   Volumes /data (holding seed.txt);
// - `conformance/layered:1`: two layers, the upper whiting out /etc/removed; no Entrypoint, no Cmd; root;
// - `conformance/removable:1`: User `1000`, removed by its case.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig } from '../../src/runtime/types.js';
import { push, startRegistry } from '../images/registry-fixtures.js';
import { buildImage, busyboxRoot, type ImageFixture } from '../support/image-fixtures.js';
import type { ConformanceContext, Pod } from './conformance-context.js';
import { rejectsWith } from './conformance-contract.js';

export const IMAGE_TESTS = {
  imageUnknown:
    'a container with rootfs image whose image is not present is CreateContainerError naming the image, "not found"',
  imageNoCommand:
    'an image with no Entrypoint and no Cmd and a container with no command is CreateContainerError "no command specified"',
  imageStatus:
    'imageStatus finds an image by its name as written, normalised and by id, with uid or username from its User; listImages lists it; an absent image is null; a bad reference is InvalidImageName',
  imageRemove:
    'removeImage refuses an image a container uses (ImageInUse, created or exited) until the container is removed, then removes it; again is a no-op',
  imageContainerStatus:
    "a container made from an image reports the image's normalised first tag as image and its repo digest (else id) as imageRef",
  imagePull:
    'pullImage from a loopback registry returns the image id, and imageStatus then reports it under its normalised name',
  imageArgs:
    "the image's Entrypoint and Cmd combine with the container's command and args as containerd's four cases; a bare command is found in the image's PATH",
  imageEnv:
    "the environment is the image's PATH in place of the default, HOSTNAME, the image's Env, the container's env (a container value wins), and HOME from the image's passwd",
  imageWorkingDir: "the working directory is the container's, else the image's; a missing one is created",
  imageUser:
    "the image's User runs the process with its groups from the image's /etc/group; runAsUser overrides it and supplementalGroups add to it",
  imageWhiteout: 'a file whited out by an upper layer is absent; the others of both layers are there',
  imageRootfsPrivate:
    'writes to / of a container are its own: a second container of the same image sees the image as it was',
  imageSharedDir: 'a host directory mounted into two containers of different images is shared between them',
  imageVolumes:
    "an image's Volumes path holds the image's content and is writable (also with readOnlyRootfs), a fresh one per container",
} as const;

export function imageCases(ctx: ConformanceContext): void {
  const { it, newPod, runToEnd } = ctx;
  const fromImage = (
    fixture: ImageFixture,
    name: string,
    command: string[],
    extra: Partial<ContainerConfig> = {},
  ): ContainerConfig =>
    ctx.containerConfig(name, command, { rootfs: 'image', image: fixture.name, ...extra });
  const output = async (pod: Pod, config: ContainerConfig) => {
    const { out, status } = await runToEnd(pod, config);
    assert.equal(status.exitCode, 0, `${config.metadata.name} exited ${status.exitCode}: ${out}`);
    return out;
  };

  it(IMAGE_TESTS.imageUnknown, ['images'], async () => {
    const rt = ctx.rt();
    const pod = await newPod('image-unknown');
    const config = ctx.containerConfig('c', ['/bin/true'], {
      rootfs: 'image',
      image: 'conformance/absent:1',
    });
    await rejectsWith(
      rt.createContainer(pod.id, config, pod.config),
      'CreateContainerError',
      /"conformance\/absent:1".*not found/,
    );
    assert.deepEqual(await rt.listContainers({ podSandboxId: pod.id }), []);
  });

  it(IMAGE_TESTS.imageNoCommand, ['images'], async () => {
    const rt = ctx.rt();
    const layered = await ctx.image('layered');
    const pod = await newPod('image-no-command');
    await rejectsWith(
      rt.createContainer(pod.id, fromImage(layered, 'c', []), pod.config),
      'CreateContainerError',
      /no command specified/,
    );
  });

  it(IMAGE_TESTS.imageStatus, ['images'], async () => {
    const rt = ctx.rt();
    const app = await ctx.image('app');
    const removable = await ctx.image('removable');
    const status = await rt.imageStatus({ image: app.name });
    assert.ok(status, `${app.name} is present`);
    assert.equal(status.id, app.id);
    assert.ok(status.repoTags.includes('docker.io/conformance/app:1'), status.repoTags.join(' '));
    assert.ok(status.size > 0);
    assert.equal(status.username, 'app');
    assert.equal(status.uid, undefined);
    assert.deepEqual(await rt.imageStatus({ image: 'docker.io/conformance/app:1' }), status);
    assert.deepEqual(await rt.imageStatus({ image: app.id }), status);
    const numeric = await rt.imageStatus({ image: removable.name });
    assert.equal(numeric?.uid, 1000);
    assert.equal(numeric?.username, undefined);
    const ids = (await rt.listImages()).map((i) => i.id);
    assert.ok(ids.includes(app.id) && ids.includes(removable.id), ids.join(' '));
    assert.equal(await rt.imageStatus({ image: 'conformance/absent:1' }), null);
    await rejectsWith(rt.imageStatus({ image: 'BusyBox' }), 'InvalidImageName');
  });

  it(IMAGE_TESTS.imageRemove, ['images'], async () => {
    const rt = ctx.rt();
    const removable = await ctx.image('removable');
    const pod = await newPod('image-remove');
    const id = await rt.createContainer(pod.id, fromImage(removable, 'c', ['/bin/sleep', '600']), pod.config);
    await rejectsWith(rt.removeImage({ image: removable.name }), 'ImageInUse');
    await rt.startContainer(id);
    await rt.stopContainer(id, 0);
    await rejectsWith(rt.removeImage({ image: removable.id }), 'ImageInUse');
    assert.ok(await rt.imageStatus({ image: removable.name }), 'a refused removal removes nothing');
    await rt.removeContainer(id);
    await rt.removeImage({ image: removable.name });
    assert.equal(await rt.imageStatus({ image: removable.name }), null);
    assert.equal(await rt.imageStatus({ image: removable.id }), null);
    assert.ok(!(await rt.listImages()).some((i) => i.id === removable.id));
    await rt.removeImage({ image: removable.name });
  });

  it(IMAGE_TESTS.imageContainerStatus, ['images'], async () => {
    const rt = ctx.rt();
    const app = await ctx.image('app');
    const image = await rt.imageStatus({ image: app.name });
    const pod = await newPod('image-container-status');
    const id = await rt.createContainer(pod.id, fromImage(app, 'c', ['/bin/sleep', '600']), pod.config);
    const s = await rt.containerStatus(id);
    assert.equal(s.image, 'docker.io/conformance/app:1');
    assert.equal(s.imageRef, image?.repoDigests[0] ?? image?.id);
    const host = await rt.createContainer(
      pod.id,
      ctx.containerConfig('h', ['sleep', '600'], { image: app.name }),
      pod.config,
    );
    assert.equal(
      (await rt.containerStatus(host)).image,
      app.name,
      'a host container reports the image as given',
    );
  });

  it(IMAGE_TESTS.imagePull, ['images'], async () => {
    const rt = ctx.rt();
    const dir = join(ctx.work(), 'registry');
    const registry = await startRegistry(dir);
    try {
      const fixture = buildImage(join(dir, 'images'), 'conformance/pulled:1', { Cmd: ['/bin/true'] }, [
        busyboxRoot,
      ]);
      push(fixture.layout, '1', `${registry.host}/conformance/pulled:1`);
      const ref = `${registry.host}/conformance/pulled:1`;
      const id = await rt.pullImage({ image: ref });
      const status = await rt.imageStatus({ image: ref });
      assert.equal(status?.id, id);
      assert.ok(status?.repoTags.includes(ref), status?.repoTags.join(' '));
    } finally {
      await registry.stop();
    }
  });

  it(IMAGE_TESTS.imageArgs, ['images', 'processes', 'files'], async () => {
    const app = await ctx.image('app');
    const pod = await newPod('image-args');
    const rows: [string, string[], string[], string][] = [
      ['neither', [], [], 'entrypoint from-cmd\n'],
      ['args', [], ['a1', 'a2'], 'entrypoint a1 a2\n'],
      ['command', ['/bin/echo', 'own'], [], 'own\n'],
      ['both', ['/bin/echo', 'own'], ['a1'], 'own a1\n'],
      ['path', ['echo', 'found in the image PATH'], [], 'found in the image PATH\n'],
    ];
    for (const [name, command, args, expected] of rows) {
      assert.equal(await output(pod, fromImage(app, name, command, { args })), expected, name);
    }
  });

  it(IMAGE_TESTS.imageEnv, ['images', 'processes', 'files'], async () => {
    const app = await ctx.image('app');
    const pod = await newPod('image-env');
    const envs = [
      { name: 'POD_ONLY', value: 'pod' },
      { name: 'SHARED', value: 'pod' },
    ];
    assert.equal(
      await output(pod, fromImage(app, 'c', ['/bin/env'], { envs })),
      'PATH=/bin:/usr/bin\nHOSTNAME=image-env\nIMAGE_ONLY=image\nPOD_ONLY=pod\nSHARED=pod\nHOME=/home/app\n',
    );
  });

  it(IMAGE_TESTS.imageWorkingDir, ['images', 'processes', 'files'], async () => {
    const app = await ctx.image('app');
    const pod = await newPod('image-workdir');
    assert.equal(await output(pod, fromImage(app, 'image', ['/bin/pwd'])), '/home/app\n');
    assert.equal(
      await output(pod, fromImage(app, 'own', ['/bin/pwd'], { workingDir: '/srv/made/by/runtime' })),
      '/srv/made/by/runtime\n',
    );
  });

  it(IMAGE_TESTS.imageUser, ['images', 'processes', 'namespaces', 'files'], async () => {
    const app = await ctx.image('app');
    const pod = await newPod('image-user');
    const ids = ['/bin/sh', '-c', 'id -u; id -g; id -G; id -un'];
    assert.equal(await output(pod, fromImage(app, 'image', ids)), '1000\n1000\n1000 2000\napp\n');
    assert.equal(
      await output(pod, fromImage(app, 'root', ids, { linux: { security: { runAsUser: 0 } } })),
      '0\n0\n0\nroot\n',
    );
    assert.equal(
      await output(
        pod,
        fromImage(app, 'extra', ids, {
          linux: { security: { runAsUser: 1000, supplementalGroups: [3000] } },
        }),
      ),
      '1000\n1000\n1000 2000 3000\napp\n',
    );
  });

  it(IMAGE_TESTS.imageWhiteout, ['images', 'processes', 'files'], async () => {
    const layered = await ctx.image('layered');
    const pod = await newPod('image-whiteout');
    const script =
      'cat /etc/kept /etc/upper; if [ -e /etc/removed ]; then echo removed-present; else echo removed-absent; fi';
    assert.equal(
      await output(pod, fromImage(layered, 'c', ['/bin/sh', '-c', script])),
      'kept\nupper\nremoved-absent\n',
    );
  });

  it(IMAGE_TESTS.imageRootfsPrivate, ['images', 'processes', 'files'], async () => {
    const layered = await ctx.image('layered');
    const pod = await newPod('image-private');
    const write = 'echo mine > /written; cat /written; echo changed > /etc/kept; cat /etc/kept';
    assert.equal(
      await output(pod, fromImage(layered, 'writer', ['/bin/sh', '-c', write])),
      'mine\nchanged\n',
    );
    const read = 'if [ -e /written ]; then echo visible; else echo absent; fi; cat /etc/kept';
    assert.equal(await output(pod, fromImage(layered, 'reader', ['/bin/sh', '-c', read])), 'absent\nkept\n');
  });

  it(IMAGE_TESTS.imageSharedDir, ['images', 'processes', 'files'], async () => {
    const app = await ctx.image('app');
    const layered = await ctx.image('layered');
    const pod = await newPod('image-shared');
    const shared = join(ctx.work(), 'shared-empty-dir');
    mkdirSync(shared, { recursive: true });
    chmodSync(shared, 0o777);
    const mounts = [{ containerPath: '/shared', hostPath: shared, readOnly: false }];
    await output(
      pod,
      fromImage(app, 'writer', ['/bin/sh', '-c', 'echo from-app > /shared/note'], { mounts }),
    );
    const read = 'cat /shared/note; echo from-layered >> /shared/note';
    assert.equal(
      await output(pod, fromImage(layered, 'reader', ['/bin/sh', '-c', read], { mounts })),
      'from-app\n',
    );
    assert.equal(readFileSync(join(shared, 'note'), 'utf8'), 'from-app\nfrom-layered\n');
  });

  it(IMAGE_TESTS.imageVolumes, ['images', 'processes', 'files'], async () => {
    const app = await ctx.image('app');
    const pod = await newPod('image-volumes');
    const script =
      'cat /data/seed.txt; echo new > /data/new && echo volume-writable; if touch /probe 2>/dev/null; then echo root-writable; else echo root-refused; fi';
    const security = { runAsUser: 0, readOnlyRootfs: true };
    assert.equal(
      await output(pod, fromImage(app, 'first', ['/bin/sh', '-c', script], { linux: { security } })),
      'seeded by the image\nvolume-writable\nroot-refused\n',
    );
    assert.equal(
      await output(
        pod,
        fromImage(app, 'second', ['/bin/ls', '/data'], { linux: { security: { runAsUser: 0 } } }),
      ),
      'seed.txt\n',
    );
  });
}
