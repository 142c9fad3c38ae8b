// Runs inside a test network namespace (through nsenter): a server that names itself, or a client that
// reports what each connection met. Plain JS so that it starts without tsx.
//   agent.mjs serve tcp|udp <host> <port> <name>        prints "listening" once bound
//   agent.mjs probe tcp|udp <host> <port> <count> <ms>  prints a JSON array of {outcome, peer?}
import dgram from 'node:dgram';
import net from 'node:net';

const [mode, proto, host, portText, a, b] = process.argv.slice(2);
const port = Number(portText);

if (mode === 'serve' && proto === 'tcp') {
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.end(`${a} ${sock.remoteAddress}\n`);
  });
  server.listen(port, host, () => console.log('listening'));
} else if (mode === 'serve' && proto === 'udp') {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (_msg, rinfo) => sock.send(`${a} ${rinfo.address}\n`, rinfo.port, rinfo.address));
  sock.bind(port, host, () => console.log('listening'));
} else if (mode === 'probe') {
  const count = Number(a);
  const timeoutMs = Number(b);
  const results = [];
  for (let i = 0; i < count; i++)
    results.push(await (proto === 'tcp' ? tcpOnce(timeoutMs) : udpOnce(timeoutMs)));
  process.stdout.write(JSON.stringify(results));
} else {
  console.error(`usage: agent.mjs serve|probe tcp|udp host port ...`);
  process.exit(2);
}

function parse(text) {
  const [name, peer] = text.trim().split(' ');
  return { outcome: name, peer };
}

function tcpOnce(timeoutMs) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ outcome: 'TIMEOUT' });
    }, timeoutMs);
    sock.on('data', (d) => {
      data += d;
    });
    sock.on('end', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(parse(data));
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      resolve({ outcome: e.code ?? e.message });
    });
  });
}

function udpOnce(timeoutMs) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve({ outcome: 'TIMEOUT' });
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(parse(msg.toString()));
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.close();
      resolve({ outcome: e.code ?? e.message });
    });
    sock.connect(port, host, () => sock.send('hello'));
  });
}
