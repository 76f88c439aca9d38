import { isDeepStrictEqual } from 'node:util';
import { Injectable } from '@nestjs/common';
import { SessionStore } from '../auth/session.store.js';
import { snapshotOf, type UserSnapshot } from '../auth/user-snapshot.js';
import type { UserPrincipal } from '../common/principal.js';
import type { User } from '../users/user.entity.js';
import { UsersErrors } from '../users/users.errors.js';
import { type ProfileChanges, UsersRepository } from '../users/users.repository.js';
import { UserView } from '../users/user.view.js';

// Each round is a write behind a concurrent change; a writer that keeps losing leaves it to the later one.
const MAX_PUBLISH_ROUNDS = 3;

/**
 * Changes to the user through this API: the database first (the truth), then every live session of the
 * user, on every instance, at once. A store failure after the database write answers 503; the same
 * request again writes the same values and refreshes the sessions.
 */
@Injectable()
export class ProfileService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionStore,
  ) {}

  async update(principal: UserPrincipal, changes: ProfileChanges): Promise<UserView> {
    const user = await this.users.updateProfile(principal.userId, changes);
    return UserView.of(await this.publish(user));
  }

  /**
   * Puts the user as just written into all its sessions; a user deleted meanwhile is a 404. Two changes
   * racing could otherwise leave the sessions with the older read: after publishing, the row is read
   * again and published again until they agree, so the last publisher always leaves the final row. A
   * user deleted while we published is forgotten again, so our publish cannot revive its store copy.
   */
  async publish(written: User | null): Promise<UserSnapshot> {
    let user = written;
    for (let round = 1; ; round += 1) {
      if (user === null) throw UsersErrors.SESSION_USER_GONE();
      const snapshot = snapshotOf(user);
      await this.sessions.refreshUser(snapshot);
      const now = await this.users.findById(snapshot.id);
      if (now === null) {
        await this.sessions.forgetUser(snapshot);
        throw UsersErrors.SESSION_USER_GONE();
      }
      if (isDeepStrictEqual(snapshotOf(now), snapshot) || round === MAX_PUBLISH_ROUNDS) return snapshot;
      user = now;
    }
  }

  /**
   * The row goes (and with it every personal field), then every session and what the store knows of
   * the user. Repeatable: a retry after a store failure finds no row and still ends the sessions.
   */
  async delete(principal: UserPrincipal): Promise<void> {
    await this.users.delete(principal.userId);
    await this.sessions.forgetUser({ id: principal.userId, openid: principal.openid });
  }
}
