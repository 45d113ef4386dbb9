/** Counters a camera keeps; tests and the CLI read them, nothing in the machine depends on them. */
export interface CameraStats {
  probesAnswered: number;
  searchesAnswered: number;
  sessionsEstablished: number;
  /** Handshakes refused because `maxSessions` clients were already in. */
  sessionsRefused: number;
  sessionsClosed: number;
  alivesSent: number;
  aliveAcksReceived: number;
  aliveAcksSent: number;
  drwsReceived: number;
  drwsSent: number;
  drwsRetransmitted: number;
  /** Outgoing DRWs given up after `drwMaxTries` sends, or pushed out of a full retransmit queue. */
  drwsAbandoned: number;
  cgiAnswered: number;
  /** `livestream.cgi` starts (`streamid=10`) and stops (`streamid=16`) answered. */
  livestreamStarts: number;
  livestreamStops: number;
  videoFramesSent: number;
  videoDrwsSent: number;
  /** Video DRWs lost on purpose (`videoDropPercent`). */
  videoDrwsDropped: number;
  /** Video DRWs sent after the one that followed them (`videoReorderPercent`). */
  videoDrwsReordered: number;
  /** Undecodable, unexpected or wrongly encrypted datagrams. */
  datagramsIgnored: number;
  /** Lost on purpose: `setDropRate`, or a full reply-delay queue. */
  datagramsDropped: number;
}

export function emptyStats(): CameraStats {
  return {
    probesAnswered: 0,
    searchesAnswered: 0,
    sessionsEstablished: 0,
    sessionsRefused: 0,
    sessionsClosed: 0,
    alivesSent: 0,
    aliveAcksReceived: 0,
    aliveAcksSent: 0,
    drwsReceived: 0,
    drwsSent: 0,
    drwsRetransmitted: 0,
    drwsAbandoned: 0,
    cgiAnswered: 0,
    livestreamStarts: 0,
    livestreamStops: 0,
    videoFramesSent: 0,
    videoDrwsSent: 0,
    videoDrwsDropped: 0,
    videoDrwsReordered: 0,
    datagramsIgnored: 0,
    datagramsDropped: 0,
  };
}
