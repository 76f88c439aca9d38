/** Injection token of the PushVerifier, null when no WECHAT_PUSH_TOKEN is set (the callback answers 404). */
export const PUSH_VERIFIER = 'PUSH_VERIFIER';

/** How far a push's `timestamp` may be from now (contract: more than 300 s → 401). */
export const MAX_CLOCK_SKEW_SECONDS = 300;
