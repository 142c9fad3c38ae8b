// The channel codec: frames, client messages, protocol choice and the error channel's Status shapes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chooseProtocol,
  decodeClientFrame,
  encodeFrame,
  execEndStatus,
  internalErrorStatus,
} from '../../../src/apiserver/streaming/channels.js';
import { parseRemoteCommandQuery } from '../../../src/apiserver/streaming/remote-command.js';

describe('remote-command channels', () => {
  test('a frame is the channel byte then the bytes', () => {
    assert.deepEqual([...encodeFrame(1, 'hi')], [1, 104, 105]);
    assert.deepEqual([...encodeFrame(3, Buffer.alloc(0))], [3]);
  });

  test('v5 is chosen over v4, and nothing else is served', () => {
    assert.equal(chooseProtocol('v4.channel.k8s.io, v5.channel.k8s.io'), 'v5.channel.k8s.io');
    assert.equal(chooseProtocol('v4.channel.k8s.io'), 'v4.channel.k8s.io');
    assert.equal(chooseProtocol('channel.k8s.io, base64.channel.k8s.io'), undefined);
    assert.equal(chooseProtocol(undefined), undefined);
  });

  test('client frames: stdin, a resize as kubectl encodes it, the v5 close of stdin', () => {
    const v5 = 'v5.channel.k8s.io';
    assert.deepEqual(decodeClientFrame(Buffer.from([0, 97, 10]), v5), {
      kind: 'stdin',
      data: Buffer.from('a\n'),
    });
    assert.deepEqual(
      decodeClientFrame(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":40}\n')]), v5),
      {
        kind: 'resize',
        width: 100,
        height: 40,
      },
    );
    assert.deepEqual(decodeClientFrame(Buffer.from([255, 0]), v5), { kind: 'close', channel: 0 });
    // v4 has no close signal; a bad resize and an unknown channel are ignored, not fatal.
    assert.equal(decodeClientFrame(Buffer.from([255, 0]), 'v4.channel.k8s.io').kind, 'ignored');
    assert.equal(decodeClientFrame(Buffer.from([4, 120]), v5).kind, 'ignored');
    assert.equal(decodeClientFrame(Buffer.from([9, 1]), v5).kind, 'ignored');
  });

  test('exit codes: 0 is Success, others the kubelet NonZeroExitCode shape with the code as a byte', () => {
    assert.deepEqual(execEndStatus(0), { metadata: {}, status: 'Success' });
    const s = execEndStatus(3);
    assert.equal(s.reason, 'NonZeroExitCode');
    assert.deepEqual(s.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
    assert.equal(execEndStatus(137).details?.causes[0]?.message, '137');
    assert.equal(execEndStatus(256).details?.causes[0]?.message, '1');
  });

  test('a failure after the handshake is an InternalError', () => {
    const s = internalErrorStatus('container not found ("main")');
    assert.equal(s.message, 'Internal error occurred: container not found ("main")');
    assert.equal(s.code, 500);
    assert.equal(s.reason, 'InternalError');
  });
});

describe('PodExecOptions from the query', () => {
  test('booleans as the API server converts them; tty drops stderr; command repeats in order', () => {
    const q = new URLSearchParams(
      'command=sh&command=-c&command=echo+hi&stdin=1&stdout=True&stderr=true&tty=true&container=main',
    );
    assert.deepEqual(parseRemoteCommandQuery(q, true), {
      stdin: true,
      stdout: true,
      stderr: false,
      tty: true,
      command: ['sh', '-c', 'echo hi'],
      container: 'main',
    });
    const off = parseRemoteCommandQuery(
      new URLSearchParams('command=x&stdin=false&stdout=0&stderr=true'),
      true,
    );
    assert.deepEqual([off.stdin, off.stdout, off.stderr, off.tty], [false, false, true, false]);
  });

  test('at least one stream, and a command for exec (not for attach)', () => {
    assert.throws(() => parseRemoteCommandQuery(new URLSearchParams('command=x'), true), {
      message: 'you must specify at least 1 of stdin, stdout, stderr',
    });
    assert.throws(() => parseRemoteCommandQuery(new URLSearchParams('stdout=true'), true), {
      message: 'you must specify at least one command for the container',
    });
    assert.deepEqual(parseRemoteCommandQuery(new URLSearchParams('stdout=true'), false).command, []);
  });
});
