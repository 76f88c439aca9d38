// The Pool class by its own file (see src/wechat/wechat-http.ts): undici publishes no typings for it.
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';
  export default Pool;
}
