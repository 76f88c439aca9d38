import { type Clock, SystemClock } from '../common/clock.js';
import { PushCipher, PushDecryptError, pushSignature, signaturesMatch } from './push.crypto.js';
import { MAX_CLOCK_SKEW_SECONDS } from './push.constants.js';
import { PushErrors } from './push.errors.js';
import { type PushEvent, toPushEvent } from './push-event.js';
import { detectFormat, parsePushBody, PushParseError, type PushFields } from './push-message.parser.js';

/** The callback's credentials: the console's Token, its EncodingAESKey (null: plaintext mode) and our appid. */
export interface PushSettings {
  token: string;
  aesKey: string | null;
  appId: string;
}

export type PushQuery = Record<string, unknown>;

/**
 * Checks every request before anything is read from it (wechat-api.md §7). Unlike some SDKs,
 * plaintext pushes and URL verification are verified too: `signature` is all that tells a push
 * from WeChat apart from anyone's POST.
 */
export class PushVerifier {
  private readonly cipher: PushCipher | null;

  constructor(
    readonly settings: PushSettings,
    private readonly clock: Pick<Clock, 'now'> = new SystemClock(),
  ) {
    this.cipher = settings.aesKey ? new PushCipher(settings.aesKey) : null;
  }

  /** URL verification: the `echostr` to answer, when `signature` is right. */
  echo(query: PushQuery): string {
    const { signature, timestamp, nonce, echostr } = textParams(query, ['signature', 'timestamp', 'nonce', 'echostr']);
    if (!signature || !timestamp || !nonce || !echostr) throw PushErrors.PUSH_SIGNATURE_INVALID();
    if (!signaturesMatch(pushSignature(this.settings.token, timestamp, nonce), signature)) throw PushErrors.PUSH_SIGNATURE_INVALID();
    return echostr;
  }

  /** The event a POST carries, once its signatures, timestamp and (in AES mode) appid are right. */
  open(query: PushQuery, rawBody: string | undefined): PushEvent {
    const params = textParams(query, ['signature', 'timestamp', 'nonce', 'encrypt_type', 'msg_signature']);
    const { signature, timestamp, nonce } = params;
    if (!signature || !timestamp || !nonce) throw PushErrors.PUSH_SIGNATURE_INVALID();
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(this.clock.now() / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
      throw PushErrors.PUSH_TIMESTAMP_STALE();
    }
    if (!signaturesMatch(pushSignature(this.settings.token, timestamp, nonce), signature)) throw PushErrors.PUSH_SIGNATURE_INVALID();
    if (rawBody === undefined || rawBody.length === 0)
      throw PushErrors.PUSH_BODY_INVALID({ params: { reason: 'empty, or not JSON or XML' } });

    if (params.encrypt_type === undefined) {
      // Plaintext mode: the console's choice; with a key configured, a push without encryption is not WeChat's.
      if (this.cipher) throw PushErrors.PUSH_ENCRYPTION_REQUIRED();
      return toPushEvent(parse(rawBody));
    }
    if (params.encrypt_type !== 'aes') throw PushErrors.PUSH_BODY_INVALID({ params: { reason: 'encrypt_type is not aes' } });
    if (!this.cipher) throw PushErrors.PUSH_DECRYPT_FAILED();
    const msgSignature = params.msg_signature;
    if (!msgSignature) throw PushErrors.PUSH_SIGNATURE_INVALID();
    const encrypted = parse(rawBody)['Encrypt'];
    if (typeof encrypted !== 'string' || encrypted === '') throw PushErrors.PUSH_BODY_INVALID({ params: { reason: 'no Encrypt field' } });
    if (!signaturesMatch(pushSignature(this.settings.token, timestamp, nonce, encrypted), msgSignature))
      throw PushErrors.PUSH_SIGNATURE_INVALID();

    let opened: { message: string; appId: string };
    try {
      opened = this.cipher.decrypt(encrypted);
    } catch (error) {
      if (error instanceof PushDecryptError) throw PushErrors.PUSH_DECRYPT_FAILED();
      throw error;
    }
    if (opened.appId !== this.settings.appId) throw PushErrors.PUSH_WRONG_APP();
    // In compatible mode the body also carries the fields in the clear; only the decrypted ones count.
    return toPushEvent(parse(opened.message));
  }
}

function parse(text: string): PushFields {
  const format = detectFormat(text);
  if (format === null) throw PushErrors.PUSH_BODY_INVALID({ params: { reason: 'neither JSON nor XML' } });
  try {
    return parsePushBody(text, format);
  } catch (error) {
    if (error instanceof PushParseError) throw PushErrors.PUSH_BODY_INVALID({ params: { reason: error.message } });
    throw error;
  }
}

/** Query parameters as single strings; a repeated or missing one reads as undefined. */
function textParams<K extends string>(query: PushQuery, names: K[]): Record<K, string | undefined> {
  const params = {} as Record<K, string | undefined>;
  for (const name of names) {
    const value = query[name];
    params[name] = typeof value === 'string' ? value : undefined;
  }
  return params;
}
