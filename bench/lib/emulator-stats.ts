/** The emulator counters the benchmarks read, summed over cameras and over emulator processes. */
export interface EmulatorStats {
  alivesSent: number;
  aliveAcksReceived: number;
  aliveAcksSent: number;
  searchesAnswered: number;
  probesAnswered: number;
  sessionsEstablished: number;
  sessionsClosed: number;
  sessionsRefused: number;
  datagramsIgnored: number;
  sendErrors: number;
  hostErrors: number;
}

/** Adds up the counters of `all`; extra fields a camera's stats carry are ignored. */
export function sumStats(all: Iterable<EmulatorStats>): EmulatorStats {
  const total: EmulatorStats = {
    alivesSent: 0,
    aliveAcksReceived: 0,
    aliveAcksSent: 0,
    searchesAnswered: 0,
    probesAnswered: 0,
    sessionsEstablished: 0,
    sessionsClosed: 0,
    sessionsRefused: 0,
    datagramsIgnored: 0,
    sendErrors: 0,
    hostErrors: 0,
  };
  for (const stats of all) for (const key of Object.keys(total) as (keyof EmulatorStats)[]) total[key] += stats[key];
  return total;
}
