import { Module } from '@nestjs/common';
import { SessionStore } from './session.store.js';

/**
 * The session store on its own, so any module that changes a user (profile, deletion) can import it
 * to refresh or end that user's sessions without depending on the auth flow.
 */
@Module({
  providers: [SessionStore],
  exports: [SessionStore],
})
export class SessionsModule {}
