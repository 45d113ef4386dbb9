import { type CameraLink, CgiRequestError, type LinkConnected } from './camera-link';
import { type CgiCredentials, parseCgiValues } from '../wire/cgi';
import { type CgiValues, type Verdict, judge } from '../commands/answer';
import { type CgiCall } from '../commands/catalogue';

/**
 * Runs CGI requests on a camera's shared link the way a user expects: it waits for the session
 * (up to the timeout) instead of failing while the link is down, logs in the way the camera wants
 * (plain credentials, or the newer firmware's sequence when plain is refused; the way that worked
 * is remembered on the link), and turns every failure into a `CommandError` that says what to do.
 * It lives in the engine, not beside the pure command catalogue: it waits on the link with a timer.
 */
export type CommandFailure =
  'not-connected' | 'timeout' | 'wrong-credentials' | 'refused' | 'unsupported' | 'busy' | 'closed';

export class CommandError extends Error {
  constructor(
    readonly reason: CommandFailure,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface CommandAnswer {
  readonly values: CgiValues;
  readonly body: Buffer;
}

export interface RunOptions {
  readonly credentials: CgiCredentials;
  readonly timeoutMs: number;
  /** How the camera is named in errors. */
  readonly camera: string;
  /** Accept an answer that is no `var` list (a snapshot's JPEG): only refusals are judged. */
  readonly binary?: boolean;
}

/** Runs `calls` in order; resolves with the last answer. */
export async function runCalls(
  link: CameraLink,
  calls: readonly CgiCall[],
  options: RunOptions,
): Promise<CommandAnswer> {
  const deadline = Date.now() + options.timeoutMs;
  let answer: CommandAnswer | undefined;
  for (const call of calls) answer = await runCall(link, call, options, deadline);
  if (!answer) throw new CommandError('refused', 'nothing to send');
  return answer;
}

async function runCall(link: CameraLink, call: CgiCall, options: RunOptions, deadline: number): Promise<CommandAnswer> {
  const connected = await whenConnected(link, deadline, options.camera);
  const login = link.login;
  if (login.mode === 'eye4' && login.eye4Session !== connected) await eye4Login(link, options, deadline, connected);
  const answer = await send(link, call, options, deadline);
  const verdict = verdictOf(answer, options);
  if ((verdict === 'refused-login' || verdict === 'refused') && login.mode !== 'eye4') {
    // Newer firmware refuses plain credentials until its login sequence ran in this session.
    if (await eye4Login(link, options, deadline, connected)) {
      const again = await send(link, call, options, deadline);
      if (verdictOf(again, options) === 'ok') {
        login.mode = 'eye4';
        return again;
      }
    }
  }
  if (verdict === 'ok') {
    login.mode ??= 'plain';
    return answer;
  }
  throw failure(verdict, call, options.camera);
}

function verdictOf(answer: CommandAnswer, options: RunOptions): Verdict {
  const verdict = judge(answer.values);
  // A JPEG parses to no values; only an answer that is a refusal counts as one.
  return options.binary && verdict === 'ok' ? 'ok' : verdict;
}

/** The newer firmware's login (PROTOCOL.md §7.2); false when this camera does not have it. */
async function eye4Login(
  link: CameraLink,
  options: RunOptions,
  deadline: number,
  connected: LinkConnected,
): Promise<boolean> {
  const { user } = options.credentials;
  await send(link, { cgi: 'get_status', params: { name: user } }, options, deadline);
  const auth = await send(
    link,
    { cgi: 'eye4_authentication', params: { loginAccount: '0', loginToken: '' } },
    options,
    deadline,
  );
  const verdict = judge(auth.values);
  if (verdict === 'unsupported') return false;
  if (verdict !== 'ok') throw failure('refused-login', { cgi: 'eye4_authentication', params: {} }, options.camera);
  link.login.eye4Session = connected;
  return true;
}

async function send(link: CameraLink, call: CgiCall, options: RunOptions, deadline: number): Promise<CommandAnswer> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) throw timedOut(options);
  try {
    const body = await link.request(call.cgi, call.params, options.credentials, remaining);
    return { body, values: options.binary && !looksLikeText(body) ? {} : parseCgiValues(body.toString('utf8')) };
  } catch (error) {
    if (!(error instanceof CgiRequestError)) throw error;
    switch (error.reason) {
      case 'timeout':
        throw timedOut(options);
      case 'busy':
        throw new CommandError('busy', `too many commands waiting for camera ${options.camera}: try again later`);
      case 'closed':
        throw new CommandError('closed', 'the network node closed');
      case 'not-connected':
        throw new CommandError('not-connected', `camera ${options.camera} ${error.message} before it answered`);
    }
  }
}

/**
 * Commands waiting per camera for its session to come back; more are refused at once, as the
 * link refuses more than MAX_PENDING_CGI waiting for answers.
 */
const MAX_WAITING_FOR_SESSION = 16;
const waitingFor = new WeakMap<CameraLink, number>();

/** Resolves with the link's connection, waiting for it until the deadline. */
function whenConnected(link: CameraLink, deadline: number, camera: string): Promise<LinkConnected> {
  const now = link.connected;
  if (now) return Promise.resolve(now);
  const waiting = waitingFor.get(link) ?? 0;
  if (waiting >= MAX_WAITING_FOR_SESSION)
    return Promise.reject(
      new CommandError('busy', `too many commands waiting for camera ${camera} to connect: try again later`),
    );
  waitingFor.set(link, waiting + 1);
  const done = (): void => {
    const left = (waitingFor.get(link) ?? 1) - 1;
    if (left > 0) waitingFor.set(link, left);
    else waitingFor.delete(link);
  };
  return new Promise<LinkConnected>((resolve, reject) => {
    const onConnected = (connected: LinkConnected): void => {
      clearTimeout(timer);
      resolve(connected);
    };
    const timer = setTimeout(
      () => {
        link.off('connected', onConnected);
        reject(new CommandError('not-connected', `camera ${camera} is not connected (no session within the timeout)`));
      },
      Math.max(0, deadline - Date.now()),
    );
    link.once('connected', onConnected);
  }).finally(done);
}

function timedOut(options: RunOptions): CommandError {
  return new CommandError(
    'timeout',
    `no answer from camera ${options.camera} within ${roundS(options.timeoutMs)} s: the camera may be busy, ` +
      'or it ignores commands with a wrong username or password (some firmware stays silent)',
  );
}

function failure(verdict: Exclude<Verdict, 'ok'>, call: CgiCall, camera: string): CommandError {
  switch (verdict) {
    case 'refused-login':
      return new CommandError(
        'wrong-credentials',
        `camera ${camera} refused the username or password (result=-2): check the camera's credentials`,
      );
    case 'refused':
      return new CommandError(
        'refused',
        `camera ${camera} refused ${call.cgi}.cgi (result=-1): a wrong username or password, or an argument it does not accept`,
      );
    case 'unsupported':
      return new CommandError('unsupported', `camera ${camera} does not support ${call.cgi}.cgi`);
  }
}

/** A snapshot's body starts with a JPEG's SOI; a refusal is short ASCII text. */
function looksLikeText(body: Buffer): boolean {
  return !(body.length >= 2 && body[0] === 0xff && body[1] === 0xd8);
}

function roundS(ms: number): number {
  return Math.round(ms / 100) / 10;
}
