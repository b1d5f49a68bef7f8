import { CdcAddresses, cdcAddresses, cdcUrlSetting } from './cdc-addresses';

const unreachable = () => Object.assign(new TypeError('fetch failed'), { cause: new Error('connect ECONNREFUSED') });
const timedOut = () => Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });

describe('STRANGLER_CDC_URL with several cdc processes', () => {
  test('one address or several, comma-separated, each an http(s) URL', () => {
    expect(cdcUrlSetting.safeParse('http://127.0.0.1:8084').success).toBe(true);
    expect(cdcUrlSetting.safeParse('http://a:8084, http://b:8084/').success).toBe(true);
    const bad = cdcUrlSetting.safeParse('http://a:8084,ftp://b');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/address 2 of 2 \("ftp:\/\/b"\)/);
    expect(cdcAddresses('http://a:8084/, http://b:8084//')).toEqual(['http://a:8084', 'http://b:8084']);
  });

  test('a process that cannot be reached hands the call to the next, and the next call starts there', async () => {
    const addresses = new CdcAddresses('http://a,http://b');
    const tried: string[] = [];
    const answer = await addresses.call(async (base) => {
      tried.push(base);
      if (base === 'http://a') throw unreachable();
      return `answered by ${base}`;
    });
    expect(answer).toBe('answered by http://b');
    await addresses.call(async (base) => tried.push(base));
    expect(tried).toEqual(['http://a', 'http://b', 'http://b']);
  });

  test('a slow process is not skipped (another would be as slow), nor is a bad answer', async () => {
    const addresses = new CdcAddresses('http://a,http://b');
    const tried: string[] = [];
    await expect(addresses.call(async (base) => {
      tried.push(base);
      throw timedOut();
    })).rejects.toThrow(/timeout/);
    await expect(addresses.call(async () => {
      throw new Error('cdc answered 500');
    })).rejects.toThrow(/500/);
    expect(tried).toEqual(['http://a']);
  });

  test('none reachable: the last error', async () => {
    const addresses = new CdcAddresses('http://a,http://b');
    await expect(addresses.call(async (base) => {
      throw Object.assign(unreachable(), { message: `fetch failed at ${base}` });
    })).rejects.toThrow('fetch failed at http://b');
  });
});
