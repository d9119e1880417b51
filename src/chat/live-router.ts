/** A router that always answers with the one built for the project in force (live reload, src/reload/). */
import type { Router } from './router.js';

export function liveRouter(current: () => Router): Router {
  return {
    handleMessage: (msg) => current().handleMessage(msg),
    handleClick: (click) => current().handleClick(click),
    allowedCommands: (identity, groups, channel) => current().allowedCommands(identity, groups, channel),
    rolesOf: (identity, groups) => current().rolesOf(identity, groups),
    get hasPolicy() {
      return current().hasPolicy;
    },
  };
}
