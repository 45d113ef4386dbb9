/**
 * The vstar-network node every Node-RED benchmark deploys: the emulator's ports, broadcast to
 * 127.255.255.255 (nothing leaves loopback), local ports from bind(0), plaintext searches only.
 */
export function loopbackNetwork(dhPort: number, searchPort: number): object {
  return {
    id: 'net',
    type: 'vstar-network',
    name: 'loopback',
    bind: '0.0.0.0',
    targets: '127.255.255.255',
    dhPort,
    searchPort,
    localDhPort: 0,
    localPort: 0,
    timeout: 10,
    passphrases: '',
  };
}
