import { Inject, Injectable, Logger } from '@nestjs/common';
import { PUSH_VERIFIER } from './push.constants.js';
import { PushErrors } from './push.errors.js';
import { PushEventsHandler } from './push-events.handler.js';
import { PushReplayStore, replayKey } from './push-replay.store.js';
import type { PushQuery, PushVerifier } from './push.verifier.js';

/** The message-push callback: verify, apply once, acknowledge. */
@Injectable()
export class PushService {
  private readonly logger = new Logger(PushService.name);

  constructor(
    @Inject(PUSH_VERIFIER) private readonly verifier: PushVerifier | null,
    private readonly replays: PushReplayStore,
    private readonly events: PushEventsHandler,
  ) {}

  echo(query: PushQuery): string {
    return this.configured().echo(query);
  }

  /**
   * Resolves once the push is recorded (or was already). Rejects — and WeChat retries — when the
   * store or the database cannot take it, leaving nothing applied.
   */
  async receive(query: PushQuery, rawBody: string | undefined): Promise<void> {
    const event = this.configured().open(query, rawBody);
    if (query['encrypt_type'] === undefined) {
      // Verified above: these are single strings and the body is there.
      await this.replays.bindSignature(String(query['signature']), String(query['timestamp']), String(query['nonce']), rawBody as string);
    }
    if (!this.events.handles(event)) {
      this.logger.log({ msgType: event.msgType, event: event.event, openid: event.fromUserName }, 'Push acknowledged, not handled');
      return;
    }
    const key = replayKey(event);
    if ((await this.replays.claim(key)) === 'done') {
      this.logger.log({ event: event.event, openid: event.fromUserName }, 'Push already applied (redelivery)');
      return;
    }
    try {
      await this.events.apply(event);
    } catch (error) {
      await this.replays.release(key).catch(() => undefined);
      throw error;
    }
    // Applied: a failure to mark it only means a later redelivery might be applied again; answering
    // non-200 now would make WeChat redeliver for certain.
    await this.replays.complete(key).catch((error: unknown) => this.logger.error({ err: error }, 'Could not mark a push as applied'));
  }

  private configured(): PushVerifier {
    if (!this.verifier) throw PushErrors.PUSH_NOT_CONFIGURED();
    return this.verifier;
  }
}
