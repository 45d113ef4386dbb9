import { CGI_RESPONSE_CODES } from '../../wire/cgi';
import { type CgiContext, type CgiHandler, type CgiReply, type CgiRequest, answer } from './context';
import { RESULT_OK, RESULT_REFUSED } from './format';

/**
 * What the login rules say about one request, before its command runs:
 * - `plain` cameras accept any command whose `loginuse`/`loginpas` (or `user`/`pwd`) match;
 * - `eye4` cameras also want, in the same session, `get_status.cgi?name=U` and then
 *   `eye4_authentication.cgi` (PROTOCOL.md §7.2); until then every other command is refused.
 * Wrong credentials are refused in both modes. A refusal is `result=-2` with the command's own
 * code, or silence on `silentOnBadLogin` cameras.
 */
export function checkLogin(request: CgiRequest, code: number, context: CgiContext): CgiReply | undefined {
  const { config, login } = context;
  if (!credentialsMatch(request.params, config)) return refuse(code, context);
  if (config.login === 'plain') return undefined;
  if (request.cgi === 'get_status' && request.params['name'] !== undefined) {
    login.statusSeen = true;
    return undefined;
  }
  if (request.cgi === 'eye4_authentication') return login.statusSeen ? undefined : refuse(code, context);
  return login.authenticated ? undefined : refuse(code, context);
}

/**
 * `eye4_authentication.cgi?loginAccount=A&loginToken=T&...`: vstarcamctl sends account 0 and an
 * empty token for a camera with no cloud owner. The emulator checks only the credentials and the
 * order of the sequence (done by `checkLogin`), not the account or token.
 */
export const eye4Authentication: CgiHandler = (_request, { login }) => {
  login.authenticated = true;
  return answer(CGI_RESPONSE_CODES.eye4_authentication, RESULT_OK);
};

/** The exact body of the C7824WIP capture (PROTOCOL.md §5). */
export const checkUser: CgiHandler = (_request, { config, currentUsers }) =>
  answer(
    CGI_RESPONSE_CODES.check_user,
    `result= 0;\r\nvar current_users=${currentUsers};\r\nvar max_support_users=${config.maxSessions};\r\n`,
  );

function refuse(code: number, { config }: CgiContext): CgiReply {
  return config.silentOnBadLogin ? { kind: 'silent' } : answer(code, RESULT_REFUSED);
}

/** Apps send both spellings; the first one present wins. */
function credentialsMatch(
  params: Readonly<Record<string, string>>,
  expected: { readonly user: string; readonly password: string },
): boolean {
  const user = params['loginuse'] ?? params['user'];
  const password = params['loginpas'] ?? params['pwd'];
  return user === expected.user && password === expected.password;
}
