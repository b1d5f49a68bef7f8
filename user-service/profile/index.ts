// The profile context's public face: its routes, and its part in the sign-up and erasure processes
// (registration/). Everything else in this folder is private to the context.
export { PROFILE_ROLE } from './profiles.repository';
export { checkProfileStart, eraseProfile, startProfile, type ProfileDependencies } from './profile.use-cases';
export { profileRoutes } from './profile.routes';
