// RFC 822 / 5322 messages and mbox files. A message: header | body (cut after the blank line that ends the header),
// then header fields, MIME delimiter lines ("--boundary") and paragraphs, then lines, words, size. An mbox: messages
// first (a "From " line at the start or after a blank line), then the same inside each message.
import { offerWords } from '../cut.js';
import type { Grammar, Sink } from '../types.js';
import { isBlank } from './text.js';

const FROM_ = [70, 114, 111, 109, 32]; // "From "

function startsWith(data: Uint8Array, s: number, e: number, seq: readonly number[]): boolean {
  if (e - s < seq.length) return false;
  for (let k = 0; k < seq.length; k++) if (data[s + k] !== seq[k]) return false;
  return true;
}

/**
 * mailLevel −1: message starts only (mbox); 0: + header/body; 1: + header fields, MIME delimiters, paragraphs;
 * 2: every line. `tag` at a: 1 = inside a header, 0 = inside a body.
 */
export function offerMail(data: Uint8Array, a: number, b: number, mailLevel: number, tag: number, mbox: boolean, sink: Sink): void {
  const v = data.subarray(0, b);
  let inHeader = tag === 1;
  // a boundary we offered starts a header (after a From line or at 0) or follows a blank line (body, paragraph)
  let prevBlank = a === 0 || !inHeader;
  let s = a;
  while (s < b) {
    let e = v.indexOf(10, s);
    if (e < 0) e = b;
    const blank = isBlank(data, s, e);
    if (mbox && prevBlank && startsWith(data, s, e, FROM_)) {
      if (s > a) sink.offer(s, 1);
      inHeader = true;
      prevBlank = false;
      s = e + 1;
      continue;
    }
    if (inHeader) {
      if (blank) {
        inHeader = false;
        if (mailLevel >= 0 && e + 1 < b) sink.offer(e + 1, 0);
      } else if (mailLevel >= 1 && s > a && data[s] !== 32 && data[s] !== 9) sink.offer(s, 1);
    } else if (s > a && mailLevel >= 1) {
      if (mailLevel >= 2 || (!blank && (prevBlank || (data[s] === 45 && data[s + 1] === 45)))) sink.offer(s, 0);
    }
    prevBlank = blank;
    s = e + 1;
  }
}

export function mailGrammar(data: Uint8Array): Grammar {
  return {
    levels: 4,
    scan(a, b, level, tag, sink) {
      if (level < 3) offerMail(data, a, b, level, a === 0 ? 1 : tag, false, sink);
      else offerWords(data, a, b, sink);
    },
  };
}

export function mboxGrammar(data: Uint8Array): Grammar {
  return {
    levels: 5,
    scan(a, b, level, tag, sink) {
      if (level < 4) offerMail(data, a, b, level - 1, a === 0 ? 1 : tag, true, sink);
      else offerWords(data, a, b, sink);
    },
  };
}

/** True when data[s, e) is a header field line "Name: value" (RFC 5322 field name: printable ASCII except ':'). */
export function isHeaderField(data: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = data[i]!;
    if (c === 58) return i > s;
    if (c <= 32 || c >= 127) return false;
    i++;
  }
  return false;
}

const KNOWN = [
  'from', 'to', 'subject', 'date', 'received', 'return-path', 'message-id', 'mime-version', 'delivered-to', 'reply-to',
  'content-type', 'cc', 'sender', 'x-mailer', 'in-reply-to', 'references', 'dkim-signature', 'list-id', 'precedence',
];

/**
 * Looks at the head of a message: counts header fields (and known ones) until the blank line. A first line "From "
 * (mbox separator) is allowed. Returns undefined when it does not look like a message header.
 */
export function sniffMailHeader(head: Uint8Array): { fields: number; known: number; fromLine: boolean; headerEnd: number } | undefined {
  const n = head.length;
  let s = 0;
  let fields = 0;
  let known = 0;
  let fromLine = false;
  let lines = 0;
  while (s < n && lines < 400) {
    let e = head.indexOf(10, s);
    if (e < 0) e = n;
    lines++;
    if (s === 0 && startsWith(head, s, e, FROM_)) fromLine = true;
    else if (isBlank(head, s, e)) return fields >= 2 ? { fields, known, fromLine, headerEnd: e + 1 } : undefined;
    else if (head[s] === 32 || head[s] === 9) {
      if (fields === 0) return undefined; // continuation with nothing to continue
    } else if (isHeaderField(head, s, e)) {
      fields++;
      let name = '';
      for (let i = s; i < e && head[i] !== 58 && i < s + 20; i++) name += String.fromCharCode(head[i]! | 32);
      if (KNOWN.includes(name)) known++;
    } else return undefined;
    s = e + 1;
  }
  // header longer than the head: still a message if what we saw is convincing
  return fields >= 4 && known >= 2 ? { fields, known, fromLine, headerEnd: -1 } : undefined;
}
