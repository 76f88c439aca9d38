import type { ReceivedMessage } from './fake-wechat.messages.js';
import { buildPush, deliverPush, type PushEventInput, type PushSigning } from './fake-wechat.push.js';

/** Where and how the fake pushes events: the app's message-push callback (wechat-api.md §7). */
export interface FakePushTarget extends Omit<PushSigning, 'appId' | 'timestamp' | 'nonce'> {
  /** The callback URL, or a function giving it (null while it is not known yet). */
  url: string | (() => string | null);
}

export interface PushRecord {
  event: string;
  openid: string;
  /** The callback's HTTP status; 0 when it could not be reached. */
  status: number;
  body: string;
}

export type FakePushEvent = Omit<PushEventInput, 'ToUserName' | 'CreateTime'> & { CreateTime?: number };

// The fake keeps only the latest push outcomes, so a long sandbox run stays bounded.
const PUSH_LOG_SIZE = 100;
const PUSH_REDELIVERIES = 3;
const PUSH_REDELIVERY_DELAY_MS = 300;

/** The fake WeChat's side of message push: signs events, delivers them (again on failure) and keeps the outcomes. */
export class FakePushSender {
  /** The latest pushes and what the callback answered, oldest first. */
  readonly pushes: PushRecord[] = [];
  private target: FakePushTarget | null = null;
  private deliveryResult = { errorCode: 0, errorStatus: 'success' };
  private readonly pendingSentEvents = new Set<NodeJS.Timeout>();
  private lastCreateTime = 0;
  private closed = false;

  constructor(
    private readonly options: {
      appId: string;
      /** The mini-program's original id (`gh_…`), the ToUserName of its pushes. */
      originalId: string;
      /** How long after an accepted subscribe send its sent event is pushed. */
      sentEventDelayMs: number;
      /** A wait the fake cuts short when it closes. */
      delay: (ms: number) => Promise<void>;
    },
  ) {}

  get hasTarget(): boolean {
    return this.target !== null;
  }

  setTarget(target: FakePushTarget | null): void {
    this.target = target;
  }

  setDeliveryResult(errorCode: number, errorStatus: string): void {
    this.deliveryResult = { errorCode, errorStatus };
  }

  /** Pushes an event to the target, signed as configured, again on failure; resolves with the callback's last answer. */
  async push(event: FakePushEvent, overrides: Partial<PushSigning> = {}): Promise<PushRecord> {
    const target = this.target;
    const url = typeof target?.url === 'function' ? target.url() : target?.url;
    if (!target || !url) throw new Error('The fake has no push target (setPushTarget)');
    const built = buildPush(
      { ToUserName: this.options.originalId, CreateTime: event.CreateTime ?? this.nextCreateTime(), ...event },
      { ...target, appId: this.options.appId, ...overrides },
    );
    // WeChat delivers a push again when the callback fails or times out (up to 3 more times).
    let answer = { status: 0, body: '' };
    for (let attempt = 0; attempt <= PUSH_REDELIVERIES && !this.closed; attempt += 1) {
      if (attempt > 0) await this.options.delay(PUSH_REDELIVERY_DELAY_MS);
      answer = await deliverPush(url, built).catch(() => ({ status: 0, body: '' }));
      if (answer.status === 200) break;
    }
    const record = { event: event.Event, openid: event.FromUserName, ...answer };
    this.pushes.push(record);
    if (this.pushes.length > PUSH_LOG_SIZE) this.pushes.splice(0, this.pushes.length - PUSH_LOG_SIZE);
    return record;
  }

  /** After an accepted subscribe send: its subscribe_msg_sent_event, a little later, as WeChat reports delivery. */
  scheduleSentEvent(message: ReceivedMessage): void {
    if (!this.target || this.closed) return;
    const { errorCode, errorStatus } = this.deliveryResult;
    const timer = setTimeout(() => {
      this.pendingSentEvents.delete(timer);
      this.push({
        FromUserName: message.touser,
        Event: 'subscribe_msg_sent_event',
        List: [{ TemplateId: message.templateId, MsgID: message.msgid, ErrorCode: errorCode, ErrorStatus: errorStatus }],
      }).catch(() => undefined);
    }, this.options.sentEventDelayMs);
    this.pendingSentEvents.add(timer);
  }

  /** No more pushes or redeliveries; the sent events not pushed yet are dropped. */
  close(): void {
    this.closed = true;
    for (const timer of this.pendingSentEvents) clearTimeout(timer);
    this.pendingSentEvents.clear();
  }

  /**
   * Unix seconds, but never the same twice: a receiver tells pushes apart by sender, CreateTime and
   * event, and a test (or a developer) pressing "accept" twice within a second means two answers.
   */
  private nextCreateTime(): number {
    this.lastCreateTime = Math.max(Math.floor(Date.now() / 1000), this.lastCreateTime + 1);
    return this.lastCreateTime;
  }
}
