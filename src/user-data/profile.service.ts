import { Injectable } from '@nestjs/common';
import { SessionStore } from '../auth/session.store.js';
import { snapshotOf } from '../auth/user-snapshot.js';
import type { UserPrincipal } from '../common/principal.js';
import type { User } from '../users/user.entity.js';
import { UsersErrors } from '../users/users.errors.js';
import { type ProfileChanges, UsersRepository } from '../users/users.repository.js';
import { UserView } from '../users/user.view.js';

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

  /** Puts the user as just written into all its sessions; a user deleted meanwhile is a 404. */
  async publish(user: User | null) {
    if (user === null) throw UsersErrors.SESSION_USER_GONE();
    const snapshot = snapshotOf(user);
    await this.sessions.refreshUser(snapshot);
    return snapshot;
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
