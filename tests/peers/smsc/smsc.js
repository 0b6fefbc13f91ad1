#!/usr/bin/env node
/*
 * smsc.js — an SMSC simulator for passerelle's integration tests and benchmarks,
 * built on the npm `smpp` package (pinned at 0.5.1 in ../package.json) in server mode.
 *
 * It listens on 127.0.0.1 only. Run `npm ci` in tests/peers first.
 *
 *   node tests/peers/smsc/smsc.js [options]
 *
 * Options (all optional):
 *   --port N               TCP port on 127.0.0.1; 0 (the default) picks a free one.
 *   --system-id S          Only this system_id may bind (others: ESME_RBINDFAIL 0x0D).
 *   --password P           Only this password is accepted (others: ESME_RBINDFAIL).
 *                          Without --system-id/--password any bind is accepted.
 *   --delay-ms N           Answer each submit_sm after N ms (default 0: at once).
 *   --throttle-every N     Every Nth submit_sm received (counted over the whole process)
 *                          is answered ESME_RTHROTTLED (0x58) and not accepted.
 *   --drop-after N         On receiving the Nth submit_sm, close that socket abruptly
 *                          without answering it. Once per process ...
 *   --drop-repeat          ... or on every Nth submit_sm with this flag.
 *   --drop-mode fin|rst    How "abruptly" closes: FIN without unbind (default) or a TCP RST.
 *   --receipts             Send a delivery receipt (deliver_sm, esm_class 0x04) for each
 *                          accepted submit_sm (= segment) that asks for one
 *                          (registered_delivery bits 0-1 = 1, or = 2 and a failure stat).
 *                          Text per SMPP 3.4 Appendix B:
 *                            id:<msgid> sub:001 dlvrd:001 submit date:YYMMDDhhmm
 *                            done date:YYMMDDhhmm stat:DELIVRD err:000 text:<20 chars>
 *                          plus TLVs receipted_message_id (0x001E) and message_state
 *                          (0x0427). Receipts go to a receiver/transceiver session bound
 *                          with the submitter's system_id; while none is bound they wait,
 *                          and a receipt whose deliver_sm_resp never came (connection
 *                          lost) or came back 0x58/0x64/0x14 is sent again later.
 *   --receipt-stat STAT    DELIVRD (default), EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN,
 *                          REJECTD.
 *   --receipt-err NNN      The err: field (default 000).
 *   --receipt-delay-ms N   Send each receipt N ms after the submit_sm_resp (default 0).
 *   --redeliver-ms N       Wait before re-sending a receipt that failed (default 1000).
 *   --id-format hex|dec    message_id format: 10 upper-case hex digits (default) or 10
 *                          decimal digits; ids start at a random base per process.
 *   --log FILE             Append one JSON line per received submit_sm (buffered stream).
 *   --keep N               Keep at most the N latest submit_sm entries in memory for the
 *                          "messages" command (default: all).
 *   --mo-timeout-ms N      Default wait for a deliver_sm_resp to an MO (default 5000).
 *   --exit-on-eof          Exit when stdin closes (the test harness uses this so that the
 *                          simulator never outlives its test process).
 *   --quiet                No diagnostics on stderr.
 *
 * stdout carries JSON lines only. At start: {"event":"listening","port":N}.
 *
 * Control interface: one JSON command per line on stdin, each answered by exactly one
 * JSON line on stdout. A command may carry "id" (any JSON value); the answer echoes it
 * together with "cmd". Answers are {"ok":true,...} or {"ok":false,"error":"..."}.
 *   {"cmd":"mo","from":"+33611111111","to":"+33700000001","text":"...",
 *    "encoding":"auto|gsm|ucs2","split":N,"order":[2,1,3]}
 *       Mobile-originated deliver_sm to every bound receiver/transceiver session. "+"
 *       numbers go out without the "+" as TON 1 / NPI 1; other numbers as TON 0 / NPI 1
 *       (override: source_ton, source_npi, dest_ton, dest_npi). encoding "auto" (default)
 *       is GSM 03.38 (data_coding 0, unpacked, one septet per octet) when every
 *       character has a GSM code, otherwise UCS-2 (UTF-16BE, data_coding 8).
 *       "split": N sends N concatenated parts (UDH 05 00 03 ref N i, or with "ref16":true
 *       06 08 04 ref ref N i); "ref" picks the reference (default: a counter); without
 *       "split", a text longer than one SMS is split as a phone would. "order" lists the
 *       part numbers (1-based) to send, in that order: a subset sends only those parts,
 *       repeats send duplicates. Parts go one after the other, each after the previous
 *       resp. "hex": raw short_message bytes instead of text (with "data_coding",
 *       "esm_class"). "timeout_ms": wait per resp.
 *       Answer: {"ok":true,"status":S,"statuses":[...],"sessions":n,"parts":N}, S being
 *       the first non-zero deliver_sm_resp status, else 0; on timeout or a lost
 *       connection ok is false with "error".
 *   {"cmd":"stats"}     counters: connections, sessions (bound now), binds,
 *                       bind_failures, submits, accepted, dropped, by_status
 *                       {"0x0": n, "0x58": m, ...}, receipts_sent, receipts_acked,
 *                       receipts_pending, receipts_rejected, mo_sent, mo_acked,
 *                       enquire_links_received, unbinds, malformed.
 *   {"cmd":"messages"}  {"ok":true,"messages":[<log entries>]}.
 *   {"cmd":"clear"}     forget stored messages (counters stay).
 *   {"cmd":"sessions"}  the connected sessions (id, bound, system_id, remote_port).
 *   {"cmd":"drop","mode":"fin|rst"}  close every session abruptly now.
 *   {"cmd":"enquire"}   enquire_link to every bound session; answer with their statuses.
 *   {"cmd":"config", "delay_ms":..,"throttle_every":..,"receipts":..,"receipt_stat":..,
 *    "receipt_delay_ms":..,"drop_after":..}  change settings at run time; answers them.
 *   {"cmd":"quit"}      unbind nothing, close everything, exit 0.
 *
 * Log entry (JSON line per submit_sm, also what "messages" returns):
 *   time, session, system_id, sequence_number, source_addr_ton, source_addr_npi,
 *   source_addr, dest_addr_ton, dest_addr_npi, destination_addr, esm_class,
 *   registered_delivery, data_coding, short_message (hex), message_payload (hex, when
 *   present), udh (hex), concat {ref, ref_bits, total, seq} (when present), text (decoded
 *   where the data_coding allows: 0 GSM 03.38, 1 ASCII, 3 Latin-1, 8 UCS-2), message_id
 *   (null unless accepted), command_status (null when dropped), dropped (true/absent),
 *   receipts_acked (how many of its receipts the client answered with status 0; absent: none).
 *
 * Protocol behaviour: answers enquire_link in any state, unbind with unbind_resp then
 * closes, submit_sm before a transmitter/transceiver bind with ESME_RINVBNDSTS (0x04), a
 * second bind with ESME_RALYBND (0x05), other known requests with ESME_RINVCMDID (0x03),
 * unknown command ids with generic_nack ESME_RINVCMDID. A PDU that cannot be parsed
 * (command_length < 16 or > 16384, truncated fields) gets generic_nack ESME_RINVCMDLEN
 * (0x02) and the connection is closed; the process goes on.
 * SIGTERM/SIGINT: close all sockets, flush the log, exit 0.
 */
'use strict';

const fs = require('fs');
const readline = require('readline');
const smpp = require('smpp');

// ---------------------------------------------------------------------------------
// Options

const OPTION_SPEC = {
  'port': 'int', 'system-id': 'str', 'password': 'str', 'delay-ms': 'int',
  'throttle-every': 'int', 'drop-after': 'int', 'drop-repeat': 'flag', 'drop-mode': 'str',
  'receipts': 'flag', 'receipt-stat': 'str', 'receipt-err': 'str',
  'receipt-delay-ms': 'int', 'redeliver-ms': 'int', 'id-format': 'str', 'log': 'str',
  'keep': 'int', 'mo-timeout-ms': 'int', 'exit-on-eof': 'flag', 'quiet': 'flag',
  'help': 'flag',
};

function parseArgs(argv) {
  const o = {
    port: 0, systemId: null, password: null, delayMs: 0, throttleEvery: 0, dropAfter: 0,
    dropRepeat: false, dropMode: 'fin', receipts: false, receiptStat: 'DELIVRD',
    receiptErr: '000', receiptDelayMs: 0, redeliverMs: 1000, idFormat: 'hex', log: null,
    keep: 0, moTimeoutMs: 5000, exitOnEof: false, quiet: false, help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value = null;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    arg = arg.slice(2);
    const eq = arg.indexOf('=');
    if (eq >= 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    const kind = OPTION_SPEC[arg];
    if (!kind) throw new Error(`unknown option --${arg}`);
    const key = arg.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (kind === 'flag') {
      if (value !== null) throw new Error(`--${arg} takes no value`);
      o[key] = true;
      continue;
    }
    if (value === null) {
      if (i + 1 >= argv.length) throw new Error(`--${arg} needs a value`);
      value = argv[++i];
    }
    if (kind === 'int') {
      if (!/^\d+$/.test(value)) throw new Error(`--${arg} needs a non-negative integer`);
      o[key] = parseInt(value, 10);
    } else {
      o[key] = value;
    }
  }
  if (o.port > 65535) throw new Error('--port out of range');
  if (!RECEIPT_STATES[o.receiptStat]) throw new Error(`unknown --receipt-stat ${o.receiptStat}`);
  if (!/^\d{3}$/.test(o.receiptErr)) throw new Error('--receipt-err needs three digits');
  if (o.idFormat !== 'hex' && o.idFormat !== 'dec') throw new Error('--id-format is hex or dec');
  if (o.dropMode !== 'fin' && o.dropMode !== 'rst') throw new Error('--drop-mode is fin or rst');
  return o;
}

// SMPP 3.4 section 5.2.28 message_state values, by Appendix B stat word.
const RECEIPT_STATES = {
  DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8,
};
const FAILURE_STATS = new Set(['EXPIRED', 'DELETED', 'UNDELIV', 'REJECTD', 'UNKNOWN']);

const ST = {
  OK: 0x00, INVCMDLEN: 0x02, INVCMDID: 0x03, INVBNDSTS: 0x04, ALYBND: 0x05,
  BINDFAIL: 0x0D, MSGQFUL: 0x14, THROTTLED: 0x58, X_T_APPN: 0x64,
};
const RETRYABLE = new Set([ST.THROTTLED, ST.X_T_APPN, ST.MSGQFUL]);

// ---------------------------------------------------------------------------------
// GSM 03.38 (3GPP TS 23.038) default alphabet and extension table, unpacked septets.

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = {
  0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~',
  0x3E: ']', 0x40: '|', 0x65: '€',
};
const GSM_BASIC_CHARS = Array.from(GSM_BASIC);
if (GSM_BASIC_CHARS.length !== 128) throw new Error('GSM table must have 128 entries');
const GSM_ENC = new Map();
GSM_BASIC_CHARS.forEach((c, i) => { if (i !== 0x1B) GSM_ENC.set(c, [i]); });
for (const [code, c] of Object.entries(GSM_EXT)) GSM_ENC.set(c, [0x1B, Number(code)]);

// Returns a Buffer, or null when a character has no GSM code.
function gsmEncode(text) {
  const out = [];
  for (const c of text) {
    const codes = GSM_ENC.get(c);
    if (!codes) return null;
    out.push(...codes);
  }
  return Buffer.from(out);
}

function gsmDecode(buf) {
  let s = '';
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b > 0x7F) { s += '\uFFFD'; continue; }
    if (b === 0x1B) {
      if (i + 1 >= buf.length) { s += ' '; continue; }  // lone escape at the end
      const n = buf[++i];
      // 23.038: an unknown extension code shows the basic-table character.
      s += GSM_EXT[n] !== undefined ? GSM_EXT[n] : (n === 0x1B || n > 0x7F ? ' ' : GSM_BASIC_CHARS[n]);
      continue;
    }
    s += GSM_BASIC_CHARS[b];
  }
  return s;
}

function ucs2Encode(text) {
  const b = Buffer.from(text, 'utf16le');
  return b.swap16();
}

function ucs2Decode(buf) {
  const even = buf.length & ~1;
  const b = Buffer.from(buf.subarray(0, even));
  return b.swap16().toString('utf16le');
}

// data_coding -> 'gsm' | 'ascii' | 'latin1' | 'ucs2' | null (binary or unknown).
function alphabetOf(dc) {
  switch (dc) {
    case 0x00: return 'gsm';
    case 0x01: return 'ascii';
    case 0x03: return 'latin1';
    case 0x08: return 'ucs2';
  }
  if ((dc & 0xF0) === 0xF0) return (dc & 0x04) ? null : 'gsm';
  if ((dc & 0xC0) === 0x00 && !(dc & 0x20)) {  // general data coding, uncompressed
    const a = (dc >> 2) & 0x03;
    return a === 0 ? 'gsm' : a === 2 ? 'ucs2' : null;
  }
  return null;
}

function decodeText(buf, dc) {
  switch (alphabetOf(dc)) {
    case 'gsm': return gsmDecode(buf);
    case 'ascii': return buf.toString('latin1').replace(/[\x80-\xff]/g, '\uFFFD');
    case 'latin1': return buf.toString('latin1');
    case 'ucs2': return ucs2Decode(buf);
  }
  return null;
}

// UDH at the start of buf (esm_class UDHI set): {udh, payload, concat|undefined}.
function parseUdh(buf) {
  if (buf.length < 1 || buf[0] + 1 > buf.length) return { udh: null, payload: buf, malformed: true };
  const udhLen = buf[0] + 1;
  const udh = buf.subarray(0, udhLen);
  let concat;
  for (let i = 1; i + 2 <= udhLen;) {
    const iei = buf[i], len = buf[i + 1];
    if (i + 2 + len > udhLen) break;
    const d = buf.subarray(i + 2, i + 2 + len);
    if (iei === 0x00 && len === 3) concat = { ref: d[0], ref_bits: 8, total: d[1], seq: d[2] };
    else if (iei === 0x08 && len === 4) concat = { ref: d.readUInt16BE(0), ref_bits: 16, total: d[2], seq: d[3] };
    i += 2 + len;
  }
  return { udh, payload: buf.subarray(udhLen), concat };
}

// ---------------------------------------------------------------------------------
// The npm smpp package, adjusted: keep short_message & co. as raw bytes (its text
// filters lose the bytes and its time filter throws on malformed times), and refuse
// command_length < 16 (it would otherwise stall or throw later).

for (const c of Object.values(smpp.commands)) {
  for (const p of Object.values(c.params || {})) delete p.filter;
}
for (const t of Object.values(smpp.tlvs)) delete t.filter;
const originalCommandLength = smpp.PDU.commandLength;
smpp.PDU.commandLength = function (stream) {
  const len = originalCommandLength.call(this, stream);
  if (len !== false && len < 16) throw new Error(`PDU length was too small (${len})`);
  return len;
};

// ---------------------------------------------------------------------------------
// State

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`smsc.js: ${e.message}\n`);
  process.exit(2);
}
if (opts.help) {
  const src = fs.readFileSync(__filename, 'utf8');
  process.stdout.write(src.slice(src.indexOf('/*') + 2, src.indexOf('*/')).replace(/^ \* ?/gm, ''));
  process.exit(0);
}

const counters = {
  connections: 0, binds: 0, bind_failures: 0, submits: 0, accepted: 0, dropped: 0,
  by_status: {}, receipts_sent: 0, receipts_acked: 0, receipts_rejected: 0,
  mo_sent: 0, mo_acked: 0, enquire_links_received: 0, unbinds: 0, malformed: 0,
};
let messages = [];
let dropDone = false;
let nextSessionId = 1;
let moRef = Math.floor(Math.random() * 256);
const sessions = new Set();
const receiptQueues = new Map();  // system_id -> [receipt]
let receiptsPending = 0;

const ID_BASE_HEX = Math.floor(Math.random() * 0x8000000000);  // < 2^39, room to count
const ID_BASE_DEC = Math.floor(Math.random() * 4000000000);
let idCounter = 0;
function nextMessageId() {
  idCounter++;
  if (opts.idFormat === 'dec') return String(ID_BASE_DEC + idCounter).padStart(10, '0');
  return (ID_BASE_HEX + idCounter).toString(16).toUpperCase().padStart(10, '0');
}

const logStream = opts.log ? fs.createWriteStream(opts.log, { flags: 'a' }) : null;
if (logStream) logStream.on('error', (e) => diag(`log: ${e.message}`));

function diag(msg) {
  if (!opts.quiet) process.stderr.write(`smsc: ${msg}\n`);
}

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function hexStatus(st) {
  return '0x' + st.toString(16);
}

function countStatus(st) {
  const k = hexStatus(st);
  counters.by_status[k] = (counters.by_status[k] || 0) + 1;
}

function pad2(n) { return n < 10 ? '0' + n : String(n); }
function smppDate(d) {  // YYMMDDhhmm, UTC
  return pad2(d.getUTCFullYear() % 100) + pad2(d.getUTCMonth() + 1) + pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) + pad2(d.getUTCMinutes());
}

// ---------------------------------------------------------------------------------
// Sessions

function isBoundRx(S) { return S.bound === 'receiver' || S.bound === 'transceiver'; }
function isBoundTx(S) { return S.bound === 'transmitter' || S.bound === 'transceiver'; }

function safeSend(S, pdu) {
  try {
    return S.session.send(pdu);
  } catch (e) {
    diag(`session ${S.id}: cannot send ${pdu.command}: ${e.message}`);
    return false;
  }
}

// Sends a request; onDone(status|null, error|null) once: the resp status, or an error
// on timeout (timeoutMs > 0) or when the connection goes away first.
function request(S, command, fields, timeoutMs, onDone) {
  let pdu;
  try {
    pdu = new smpp.PDU(command, fields);
  } catch (e) {
    onDone(null, e.message);
    return;
  }
  if (S.closed || !safeSend(S, pdu)) {
    onDone(null, 'connection closed');
    return;
  }
  const entry = { onDone, timer: null };
  if (timeoutMs > 0) {
    entry.timer = setTimeout(() => {
      S.outstanding.delete(pdu.sequence_number);
      onDone(null, `timeout waiting for ${command}_resp`);
    }, timeoutMs);
  }
  S.outstanding.set(pdu.sequence_number, entry);
}

function closeSession(S, mode) {
  if (S.closed) return;
  if (mode === 'rst' && typeof S.socket.resetAndDestroy === 'function') S.socket.resetAndDestroy();
  else S.socket.destroy();
}

function onConnection(session) {
  const socket = session.socket;
  const S = {
    id: nextSessionId++, session, socket, bound: null, systemId: null,
    remotePort: socket.remotePort, outstanding: new Map(), closed: false,
  };
  sessions.add(S);
  counters.connections++;
  socket.setNoDelay(true);
  // Answers written while one chunk of input is parsed leave in one writev, not one
  // write(2) per PDU (the package writes each PDU separately): about 1.5x throughput.
  socket.prependListener('readable', () => {
    socket.cork();
    process.nextTick(() => socket.uncork());
  });
  diag(`session ${S.id}: connected from port ${S.remotePort}`);

  session.on('pdu', (pdu) => {
    try {
      onPdu(S, pdu);
    } catch (e) {
      diag(`session ${S.id}: error handling ${pdu.command}: ${e.stack || e}`);
    }
  });
  session.on('error', (e) => {
    if (e && (e.syscall !== undefined || e.errno !== undefined)) {  // socket error (ECONNRESET, ...)
      diag(`session ${S.id}: ${e.code}`);
      closeSession(S);
      return;
    }
    // A parse error: the package stops reading this session for good.
    counters.malformed++;
    diag(`session ${S.id}: malformed PDU: ${e && e.message}`);
    try {
      const nack = new smpp.PDU('generic_nack', { command_status: ST.INVCMDLEN });
      socket.end(nack.toBuffer());
    } catch (_) { /* ignore */ }
    setTimeout(() => closeSession(S), 200).unref();
  });
  session.on('close', () => {
    S.closed = true;
    sessions.delete(S);
    diag(`session ${S.id}: closed`);
    const pending = Array.from(S.outstanding.values());
    S.outstanding.clear();
    for (const entry of pending) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.onDone(null, 'connection closed');
    }
  });
}

function onPdu(S, pdu) {
  if (pdu.isResponse()) {
    const entry = S.outstanding.get(pdu.sequence_number);
    if (entry) {
      S.outstanding.delete(pdu.sequence_number);
      if (entry.timer) clearTimeout(entry.timer);
      entry.onDone(pdu.command_status, null);
    }
    return;
  }
  switch (pdu.command) {
    case 'submit_sm': return onSubmit(S, pdu);
    case 'enquire_link':
      counters.enquire_links_received++;
      safeSend(S, pdu.response());
      return;
    case 'bind_transceiver': return onBind(S, pdu, 'transceiver');
    case 'bind_transmitter': return onBind(S, pdu, 'transmitter');
    case 'bind_receiver': return onBind(S, pdu, 'receiver');
    case 'unbind':
      counters.unbinds++;
      S.bound = null;
      try {
        S.session.send(pdu.response(), () => S.socket.end());
      } catch (e) {
        closeSession(S);
      }
      return;
    case 'unknown':
      safeSend(S, pdu.response());  // generic_nack ESME_RINVCMDID
      return;
    case 'outbind':
    case 'alert_notification':
      return;  // no response defined
    default:
      if (smpp.commands[pdu.command + '_resp']) {
        safeSend(S, pdu.response({ command_status: S.bound ? ST.INVCMDID : ST.INVBNDSTS }));
      } else {
        safeSend(S, new smpp.PDU('generic_nack', { command_status: ST.INVCMDID, sequence_number: pdu.sequence_number }));
      }
  }
}

function onBind(S, pdu, kind) {
  if (S.bound) {
    safeSend(S, pdu.response({ command_status: ST.ALYBND }));
    return;
  }
  if ((opts.systemId !== null && pdu.system_id !== opts.systemId) ||
      (opts.password !== null && pdu.password !== opts.password)) {
    counters.bind_failures++;
    diag(`session ${S.id}: bind_${kind} refused for system_id "${pdu.system_id}"`);
    safeSend(S, pdu.response({ command_status: ST.BINDFAIL }));
    return;
  }
  S.bound = kind;
  S.systemId = pdu.system_id || '';
  counters.binds++;
  diag(`session ${S.id}: bound ${kind} as "${S.systemId}"`);
  safeSend(S, pdu.response({ system_id: 'SMSCSIM', sc_interface_version: 0x34 }));
  if (isBoundRx(S)) pumpReceipts(S.systemId);
}

function onSubmit(S, pdu) {
  if (!isBoundTx(S)) {
    safeSend(S, pdu.response({ command_status: ST.INVBNDSTS }));
    return;
  }
  const n = ++counters.submits;
  const now = new Date();
  const sm = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
  const esm = pdu.esm_class | 0;
  const dc = pdu.data_coding | 0;
  const entry = {
    time: now.toISOString(),
    session: S.id,
    system_id: S.systemId,
    sequence_number: pdu.sequence_number,
    source_addr_ton: pdu.source_addr_ton | 0,
    source_addr_npi: pdu.source_addr_npi | 0,
    source_addr: pdu.source_addr || '',
    dest_addr_ton: pdu.dest_addr_ton | 0,
    dest_addr_npi: pdu.dest_addr_npi | 0,
    destination_addr: pdu.destination_addr || '',
    esm_class: esm,
    registered_delivery: pdu.registered_delivery | 0,
    data_coding: dc,
    short_message: sm.toString('hex'),
  };
  let body = sm;
  if (sm.length === 0 && Buffer.isBuffer(pdu.message_payload)) {
    body = pdu.message_payload;
    entry.message_payload = body.toString('hex');
  }
  if (esm & 0x40) {
    const u = parseUdh(body);
    if (u.udh) entry.udh = u.udh.toString('hex');
    if (u.malformed) entry.udh_malformed = true;
    if (u.concat) entry.concat = u.concat;
    body = u.payload;
  }
  entry.text = decodeText(body, dc);

  const drop = opts.dropAfter > 0 &&
    (opts.dropRepeat ? n % opts.dropAfter === 0 : (!dropDone && n === opts.dropAfter));
  if (drop) {
    dropDone = true;
    counters.dropped++;
    entry.message_id = null;
    entry.command_status = null;
    entry.dropped = true;
    record(entry);
    diag(`session ${S.id}: dropping the connection on submit_sm #${n}`);
    closeSession(S, opts.dropMode);
    return;
  }

  let status = ST.OK;
  if (opts.throttleEvery > 0 && n % opts.throttleEvery === 0) status = ST.THROTTLED;
  countStatus(status);
  let resp;
  if (status === ST.OK) {
    counters.accepted++;
    entry.message_id = nextMessageId();
    resp = pdu.response({ message_id: entry.message_id });
  } else {
    entry.message_id = null;
    resp = pdu.response({ command_status: status });
  }
  entry.command_status = status;
  record(entry);

  const wantsReceipt = status === ST.OK && opts.receipts &&
    ((entry.registered_delivery & 0x03) === 1 ||
     ((entry.registered_delivery & 0x03) === 2 && FAILURE_STATS.has(opts.receiptStat)));
  const answer = () => {
    safeSend(S, resp);
    if (wantsReceipt) scheduleReceipt(S.systemId, entry, now);
  };
  if (opts.delayMs > 0) setTimeout(answer, opts.delayMs);
  else answer();
}

function record(entry) {
  messages.push(entry);
  if (opts.keep > 0 && messages.length > opts.keep * 2) messages = messages.slice(-opts.keep);
  if (logStream) logStream.write(JSON.stringify(entry) + '\n');
}

// ---------------------------------------------------------------------------------
// Delivery receipts

const RECEIPT_TEXT_SAFE = /[^A-Za-z0-9 .,:;!?'()+\-/=*#%&"<>]/g;

function scheduleReceipt(systemId, entry, submitted) {
  const stat = opts.receiptStat;
  const text = (entry.text || '').slice(0, 20).replace(RECEIPT_TEXT_SAFE, '?');
  const receipt = {
    systemId,
    messageId: entry.message_id,
    source: entry.destination_addr, sourceTon: entry.dest_addr_ton, sourceNpi: entry.dest_addr_npi,
    dest: entry.source_addr, destTon: entry.source_addr_ton, destNpi: entry.source_addr_npi,
    submitted, stat, err: opts.receiptErr, text, shortMessage: null, entry,
  };
  const enqueue = () => {
    const q = receiptQueues.get(systemId) || [];
    receiptQueues.set(systemId, q);
    q.push(receipt);
    receiptsPending++;
    pumpReceipts(systemId);
  };
  if (opts.receiptDelayMs > 0) setTimeout(enqueue, opts.receiptDelayMs);
  else enqueue();
}

function receiptFields(r) {
  if (!r.shortMessage) {
    const done = new Date();
    const dlvrd = r.stat === 'DELIVRD' ? '001' : '000';
    const text = `id:${r.messageId} sub:001 dlvrd:${dlvrd} submit date:${smppDate(r.submitted)} ` +
      `done date:${smppDate(done)} stat:${r.stat} err:${r.err} text:${r.text}`;
    r.shortMessage = gsmEncode(text);
  }
  return {
    source_addr_ton: r.sourceTon, source_addr_npi: r.sourceNpi, source_addr: r.source,
    dest_addr_ton: r.destTon, dest_addr_npi: r.destNpi, destination_addr: r.dest,
    esm_class: 0x04, data_coding: 0x00, short_message: r.shortMessage,
    receipted_message_id: r.messageId, message_state: RECEIPT_STATES[r.stat],
  };
}

const RX_WINDOW = 64;
let rrCounter = 0;

function pumpReceipts(systemId) {
  const q = receiptQueues.get(systemId);
  if (!q || q.length === 0) return;
  const rx = Array.from(sessions).filter((S) => isBoundRx(S) && S.systemId === systemId && !S.closed);
  if (rx.length === 0) return;
  while (q.length > 0) {
    // round-robin over the receivers that have room in their window
    let target = null;
    for (let k = 0; k < rx.length; k++) {
      const S = rx[(rrCounter + k) % rx.length];
      if (!S.closed && S.outstanding.size < RX_WINDOW) { target = S; rrCounter++; break; }
    }
    if (!target) return;  // every window full: resumed by the next resp
    const r = q.shift();
    sendReceipt(target, r);
  }
}

function sendReceipt(S, r) {
  counters.receipts_sent++;
  request(S, 'deliver_sm', receiptFields(r), 0, (status, err) => {
    if (status === ST.OK) {
      counters.receipts_acked++;
      receiptsPending--;
      r.entry.receipts_acked = (r.entry.receipts_acked || 0) + 1;
    } else if (status !== null && !RETRYABLE.has(status)) {
      counters.receipts_rejected++;
      receiptsPending--;
      diag(`receipt for ${r.messageId} refused with ${hexStatus(status)}`);
    } else {
      // lost connection or a temporary refusal: send again later
      const q = receiptQueues.get(r.systemId);
      const again = () => { q.unshift(r); pumpReceipts(r.systemId); };
      if (status === null) again();
      else setTimeout(again, opts.redeliverMs);
      diag(`receipt for ${r.messageId} ${err ? err : 'refused ' + hexStatus(status)}: will retry`);
    }
    if (!S.closed) pumpReceipts(r.systemId);
  });
}

// ---------------------------------------------------------------------------------
// Mobile-originated messages

function addressFields(number, ton, npi) {
  let addr = String(number || '');
  let t = 0, n = 1;
  if (addr.startsWith('+')) { addr = addr.slice(1); t = 1; }
  return { addr, ton: ton === undefined ? t : ton, npi: npi === undefined ? n : npi };
}

// Splits text into parts: [{bytes, dc}], honouring escapes and surrogate pairs.
function buildMoParts(c) {
  const encoding = c.encoding || 'auto';
  const text = String(c.text === undefined ? '' : c.text);
  let units;  // array of Buffers, one per character, never split
  let dc;
  if (encoding === 'gsm' || encoding === 'auto') {
    const chars = [];
    let ok = true;
    for (const ch of text) {
      const codes = GSM_ENC.get(ch);
      if (!codes) { ok = false; break; }
      chars.push(Buffer.from(codes));
    }
    if (ok) { units = chars; dc = 0x00; }
    else if (encoding === 'gsm') throw new Error('text has characters outside GSM 03.38');
  }
  if (!units) {
    if (encoding !== 'auto' && encoding !== 'ucs2') throw new Error(`unknown encoding ${encoding}`);
    units = Array.from(text).map((ch) => ucs2Encode(ch));
    dc = 0x08;
  }
  const total = units.reduce((a, b) => a + b.length, 0);
  const single = dc === 0x08 ? 140 : 160;
  const perPart = (dc === 0x08 ? 134 : 153) - (c.ref16 ? (dc === 0x08 ? 2 : 1) : 0);
  let chunks;
  if (c.split === undefined || c.split === null) {
    if (total <= single) chunks = [units];
    else {
      chunks = [];
      let cur = [], size = 0;
      for (const u of units) {
        if (size + u.length > perPart) { chunks.push(cur); cur = []; size = 0; }
        cur.push(u); size += u.length;
      }
      chunks.push(cur);
    }
  } else {
    const N = Number(c.split);
    if (!Number.isInteger(N) || N < 1 || N > 255) throw new Error('split must be 1..255');
    if (units.length < N) throw new Error(`text too short for ${N} parts`);
    chunks = [];
    let idx = 0, remaining = total;
    for (let p = 0; p < N; p++) {
      const partsLeft = N - p;
      const target = Math.ceil(remaining / partsLeft);
      const cur = [];
      let size = 0;
      // leave at least one character for each following part
      while (idx < units.length - (partsLeft - 1) && (size < target || cur.length === 0)) {
        cur.push(units[idx]); size += units[idx].length; idx++;
      }
      if (p === N - 1) while (idx < units.length) { cur.push(units[idx]); size += units[idx].length; idx++; }
      remaining -= size;
      chunks.push(cur);
    }
  }
  const N = chunks.length;
  const concat = N > 1;
  const ref = c.ref !== undefined ? Number(c.ref) : (moRef = (moRef + 1) & (c.ref16 ? 0xFFFF : 0xFF));
  return chunks.map((chunk, i) => {
    const payload = Buffer.concat(chunk);
    let bytes = payload;
    if (concat) {
      const udh = c.ref16
        ? Buffer.from([0x06, 0x08, 0x04, (ref >> 8) & 0xFF, ref & 0xFF, N, i + 1])
        : Buffer.from([0x05, 0x00, 0x03, ref & 0xFF, N, i + 1]);
      bytes = Buffer.concat([udh, payload]);
    }
    if (bytes.length > 254) throw new Error(`part ${i + 1} is ${bytes.length} octets, over 254`);
    return { bytes, dc, esm: concat ? 0x40 : 0x00 };
  });
}

function cmdMo(c, answer) {
  let parts;
  if (c.hex !== undefined) {
    const bytes = Buffer.from(String(c.hex), 'hex');
    parts = [{ bytes, dc: c.data_coding | 0, esm: 0 }];
  } else {
    parts = buildMoParts(c);
  }
  if (c.data_coding !== undefined) parts.forEach((p) => { p.dc = c.data_coding | 0; });
  if (c.esm_class !== undefined) parts.forEach((p) => { p.esm = c.esm_class | 0; });
  const order = Array.isArray(c.order) ? c.order.map(Number) : parts.map((_, i) => i + 1);
  for (const k of order) {
    if (!Number.isInteger(k) || k < 1 || k > parts.length) throw new Error(`order has no part ${k}`);
  }
  const targets = Array.from(sessions).filter((S) => isBoundRx(S) && !S.closed);
  if (targets.length === 0) {
    answer({ ok: false, error: 'no receiver or transceiver session bound' });
    return;
  }
  const src = addressFields(c.from, c.source_ton, c.source_npi);
  const dst = addressFields(c.to, c.dest_ton, c.dest_npi);
  const timeoutMs = c.timeout_ms !== undefined ? Number(c.timeout_ms) : opts.moTimeoutMs;
  const results = targets.map(() => ({ statuses: [], error: null }));
  let remaining = targets.length;

  targets.forEach((S, t) => {
    let k = 0;
    const next = () => {
      if (k >= order.length) { finish(); return; }
      const p = parts[order[k++] - 1];
      counters.mo_sent++;
      request(S, 'deliver_sm', {
        source_addr_ton: src.ton, source_addr_npi: src.npi, source_addr: src.addr,
        dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr,
        esm_class: p.esm, data_coding: p.dc, short_message: p.bytes,
      }, timeoutMs, (status, err) => {
        if (err) { results[t].error = err; finish(); return; }
        if (status === ST.OK) counters.mo_acked++;
        results[t].statuses.push(status);
        next();
      });
    };
    const finish = () => {
      if (--remaining > 0) return;
      const statuses = [].concat(...results.map((r) => r.statuses));
      const error = results.map((r) => r.error).find((e) => e);
      const status = statuses.find((s) => s !== 0) || 0;
      const a = { ok: !error, status, statuses, sessions: targets.length, parts: parts.length };
      if (error) a.error = error;
      answer(a);
    };
    next();
  });
}

// ---------------------------------------------------------------------------------
// Control interface

function settings() {
  return {
    delay_ms: opts.delayMs, throttle_every: opts.throttleEvery, drop_after: opts.dropAfter,
    drop_repeat: opts.dropRepeat, receipts: opts.receipts, receipt_stat: opts.receiptStat,
    receipt_err: opts.receiptErr, receipt_delay_ms: opts.receiptDelayMs,
  };
}

function stats() {
  const bound = Array.from(sessions).filter((S) => S.bound).length;
  return Object.assign({}, counters, {
    by_status: Object.assign({}, counters.by_status),
    sessions: bound, open_connections: sessions.size, receipts_pending: receiptsPending,
  });
}

function onCommand(line) {
  line = line.trim();
  if (!line) return;
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    out({ ok: false, error: 'bad JSON' });
    return;
  }
  if (c === null || typeof c !== 'object') {
    out({ ok: false, error: 'a command is a JSON object' });
    return;
  }
  const answer = (a) => {
    const base = { cmd: c.cmd };
    if (c.id !== undefined) base.id = c.id;
    out(Object.assign(base, a));
  };
  try {
    switch (c.cmd) {
      case 'mo': cmdMo(c, answer); return;
      case 'stats': answer(Object.assign({ ok: true }, stats())); return;
      case 'messages':
        answer({ ok: true, messages: opts.keep > 0 ? messages.slice(-opts.keep) : messages });
        return;
      case 'clear': messages = []; answer({ ok: true }); return;
      case 'sessions':
        answer({
          ok: true,
          sessions: Array.from(sessions).map((S) => ({
            id: S.id, bound: S.bound, system_id: S.systemId, remote_port: S.remotePort,
            outstanding: S.outstanding.size,
          })),
        });
        return;
      case 'drop': {
        const n = sessions.size;
        for (const S of Array.from(sessions)) closeSession(S, c.mode || opts.dropMode);
        answer({ ok: true, dropped: n });
        return;
      }
      case 'enquire': {
        const targets = Array.from(sessions).filter((S) => S.bound && !S.closed);
        if (targets.length === 0) { answer({ ok: false, error: 'no bound session' }); return; }
        const statuses = new Array(targets.length).fill(null);
        let remaining = targets.length, error = null;
        const timeoutMs = c.timeout_ms !== undefined ? Number(c.timeout_ms) : opts.moTimeoutMs;
        targets.forEach((S, i) => request(S, 'enquire_link', {}, timeoutMs, (st, err) => {
          statuses[i] = st;
          if (err) error = err;
          if (--remaining === 0) {
            const a = { ok: !error, statuses, sessions: targets.length };
            if (error) a.error = error;
            answer(a);
          }
        }));
        return;
      }
      case 'config': {
        const map = {
          delay_ms: 'delayMs', throttle_every: 'throttleEvery', drop_after: 'dropAfter',
          drop_repeat: 'dropRepeat', receipts: 'receipts', receipt_stat: 'receiptStat',
          receipt_err: 'receiptErr', receipt_delay_ms: 'receiptDelayMs',
        };
        for (const [k, v] of Object.entries(c)) {
          if (k === 'cmd' || k === 'id') continue;
          if (!map[k]) throw new Error(`unknown setting ${k}`);
          if (k === 'receipt_stat' && !RECEIPT_STATES[v]) throw new Error(`unknown receipt_stat ${v}`);
          opts[map[k]] = v;
          if (k === 'drop_after') dropDone = false;
        }
        answer(Object.assign({ ok: true }, settings()));
        return;
      }
      case 'quit':
        answer({ ok: true });
        shutdown(0);
        return;
      default:
        answer({ ok: false, error: `unknown command ${c.cmd}` });
    }
  } catch (e) {
    answer({ ok: false, error: e.message });
  }
}

// ---------------------------------------------------------------------------------
// Start and stop

const server = smpp.createServer(onConnection);
server.on('error', (e) => {
  process.stderr.write(`smsc: server error: ${e.message}\n`);
  process.exit(1);
});

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  server.close();
  for (const S of Array.from(sessions)) closeSession(S);
  const exit = () => process.exit(code);
  setTimeout(exit, 2000).unref();
  if (logStream) logStream.end(exit);
  else setImmediate(exit);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('uncaughtException', (e) => {
  // Keep serving: one bad PDU or command must not take the simulator down.
  process.stderr.write(`smsc: uncaught: ${e.stack || e}\n`);
});

server.listen(opts.port, '127.0.0.1', () => {
  out({ event: 'listening', port: server.address().port });
  diag(`listening on 127.0.0.1:${server.address().port}`);
});

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', onCommand);
rl.on('close', () => { if (opts.exitOnEof) shutdown(0); });
