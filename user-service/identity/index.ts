// The identity context's public face: its routes, and its part in the sign-up and erasure processes
// (registration/). Everything else in this folder is private to the context.
export { IDENTITY_ROLE } from './accounts.repository';
export type { IdentityDependencies } from './identity-dependencies';
export { checkRegistration, registerAccount, type RegisteredAccount } from './register-account';
export { eraseAccount } from './erase-account';
export { identityRoutes } from './identity.routes';
