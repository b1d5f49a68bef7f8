// The preferences context's public face: its routes, and its part in the sign-up and erasure processes
// (registration/). Everything else in this folder is private to the context.
export { PREFERENCES_ROLE } from './preferences.repository';
export { erasePreferences, startPreferences, type PreferencesDependencies } from './preferences.use-cases';
export { preferencesRoutes } from './preferences.routes';
