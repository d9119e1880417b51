/** Values interpolated into an http step's URL are encoded for their position and can never change its structure. */
import { interpolateUrl, urlExpressionParts, UrlValueError } from '../../src/workflow/url-template.js';

const values: Record<string, string> = {
  svc: 'x/../../../admin?q=1#',
  dots: '..',
  dot: '.',
  host: 'api.internal',
  evil: 'evil.example:8080/steal?',
  base: 'http://127.0.0.1:18081/api',
  pass: 'p@ss:w/rd',
  q: 'a b&c=d#e+f',
};
const url = (template: string) => interpolateUrl(template, (text) => values[text.trim().replace(/^inputs\./, '')] ?? '');

describe('interpolateUrl', () => {
  it('encodes a path segment whole: the traversal attack stays one segment', () => {
    const out = url('http://127.0.0.1:18081/svc/${{ inputs.svc }}/health');
    expect(out).toBe('http://127.0.0.1:18081/svc/x%2F..%2F..%2F..%2Fadmin%3Fq%3D1%23/health');
    expect(new URL(out).pathname).toBe('/svc/x%2F..%2F..%2F..%2Fadmin%3Fq%3D1%23/health');
    expect(new URL(out).search).toBe('');
  });

  it('refuses a value that makes a `.` or `..` path segment (URL parsers resolve %2e too)', () => {
    expect(() => url('http://h/svc/${{ inputs.dots }}/admin')).toThrow(UrlValueError);
    expect(() => url('http://h/svc/${{ inputs.dot }}')).toThrow(/segment `\.`/);
    expect(() => url('http://h/svc/${{ inputs.dot }}.')).toThrow(/segment `\.\.`/);
    expect(url('http://h/svc/${{ inputs.dot }}json')).toBe('http://h/svc/.json');
  });

  it('encodes query values and fragments', () => {
    expect(url('http://h/search?q=${{ inputs.q }}&n=1')).toBe('http://h/search?q=a%20b%26c%3Dd%23e%2Bf&n=1');
    expect(new URL(url('http://h/search?q=${{ inputs.q }}&n=1')).searchParams.get('q')).toBe('a b&c=d#e+f');
    expect(url('http://h/p#${{ inputs.svc }}')).toBe('http://h/p#x%2F..%2F..%2F..%2Fadmin%3Fq%3D1%23');
  });

  it('allows a plain host name in the host, and refuses one that would change port, path or host', () => {
    expect(url('http://${{ inputs.host }}:8080/health')).toBe('http://api.internal:8080/health');
    expect(() => url('http://${{ inputs.evil }}/health')).toThrow(/host or port of the URL is not a plain host name/);
    expect(() => url('http://127.0.0.1:${{ inputs.evil }}/health')).toThrow(UrlValueError);
  });

  it('encodes user name and password', () => {
    expect(url('https://bot:${{ inputs.pass }}@h/x')).toBe('https://bot:p%40ss%3Aw%2Frd@h/x');
    expect(new URL(url('https://bot:${{ inputs.pass }}@h/x')).host).toBe('h');
  });

  it('pastes a value at the start as is (the workflow decides it), and encodes what follows', () => {
    expect(url('${{ inputs.base }}/svc/${{ inputs.svc }}')).toBe('http://127.0.0.1:18081/api/svc/x%2F..%2F..%2F..%2Fadmin%3Fq%3D1%23');
  });

  it('never quotes the value in its error', () => {
    expect(() => url('http://${{ inputs.evil }}/')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('evil.example') }));
  });
});

describe('urlExpressionParts', () => {
  it('names where each expression stands', () => {
    const parts = (t: string) => urlExpressionParts(t).map((p) => p.part);
    expect(parts('${{ env.A }}/x/${{ inputs.b }}?q=${{ inputs.c }}#${{ inputs.d }}')).toEqual(['base', 'path', 'query', 'fragment']);
    expect(parts('http://${{ env.u }}:${{ env.p }}@${{ env.h }}:${{ env.port }}/')).toEqual(['userinfo', 'userinfo', 'host', 'host']);
    expect(parts('${{ env.A }}${{ inputs.b }}')).toEqual(['base', 'host']);
  });
});
