using System.Security.Cryptography;
using System.Text;

namespace Reactive.Streams.Storage.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisStreamLog"/>. A script runs atomically on the server (nothing else runs
/// in between), which is what makes an append, its trimming, its summary update and its notification one step.
/// </summary>
/// <remarks>
/// Keys of a stream (all share the hash tag <c>{name}</c>, so one script may touch them on a cluster too):
/// <c>{prefix}{{name}}:d</c> the durable frames (a Redis stream), <c>{prefix}{{name}}:l</c> the best-effort frames
/// (a Redis stream trimmed with <c>MAXLEN</c>), <c>{prefix}{{name}}:m</c> a hash with the last id (<c>lm</c>,
/// <c>ls</c>), the summary (<c>s</c>, <c>sv</c>, <c>sf</c>, <c>sl</c>), the best-effort rate (<c>lr</c>, <c>lt</c>) and
/// the number of durable and of best-effort entries (<c>dc</c>, <c>lc</c>, so an append needs no <c>XLEN</c> of both).
/// Every entry has the fields <c>m</c> (the mode digit) and <c>p</c> (the payload), and <c>h:{name}</c> per header. Numbers that are not integers are
/// kept with 17 significant digits, so they read back as the same double.
/// </remarks>
internal static class Scripts
{
    // KEYS: durable, live, meta. ARGV: 1 channel, 2 stream name, 3 now (ms), 4 mode digit, 5 alpha, 6 ttl seconds,
    // 7 floor, 8 ceiling, 9 expected summary version (mode 1), 10 summary after the batch (mode 1), 11 n, then per frame
    // its payload, its header count h and h name/value pairs (each header is the entry field 'h:' .. name).
    // Returns {first ms, first seq, last ms, last seq, frame count, summary version}, or for a summary append whose
    // expected version is stale {-1, version, summary} and writes nothing (the caller merges again and retries).
    // The id rule and the rate rule are StreamLog.NextId and LiveRetentionOptions.NextRate/RetainedLength, step for step
    // in the same double arithmetic.
    public const string Append = """
        local st = redis.call('HMGET', KEYS[3], 'lm', 'ls', 'sv', 'lr', 'lt', 'dc', 'lc')
        local mode = ARGV[4]
        local sv = tonumber(st[3]) or 0
        if mode == '1' and sv ~= tonumber(ARGV[9]) then
            return {-1, sv, redis.call('HGET', KEYS[3], 's')}
        end
        local now = tonumber(ARGV[3])
        local n = tonumber(ARGV[11])
        local lm = tonumber(st[1])
        local ls = tonumber(st[2])
        local ms, seq
        if lm == nil or now > lm then
            ms = now
            seq = 0
        else
            ms = lm
            seq = ls + 1
        end
        local fms, fseq = ms, seq
        local rate = tonumber(st[4])
        local rms = tonumber(st[5])
        local alpha, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
        local floor, ceiling = tonumber(ARGV[7]), tonumber(ARGV[8])
        local at = 12
        for i = 1, n do
            if i > 1 then
                seq = seq + 1
            end
            local id = string.format('%.0f-%.0f', ms, seq)
            local entry = {id, 'm', mode, 'p', ARGV[at]}
            local headers = tonumber(ARGV[at + 1])
            for h = 1, headers do
                table.insert(entry, 'h:' .. ARGV[at + 2 * h])
                table.insert(entry, ARGV[at + 2 * h + 1])
            end
            at = at + 2 + 2 * headers
            if mode == '2' then
                if rate == nil then
                    rate = 0
                else
                    local interval = math.max(now - rms, 1) / 1000.0
                    rate = alpha * (1 / interval) + (1 - alpha) * rate
                end
                rms = now
                local wanted = 2 * math.ceil(rate * ttl)
                local k
                if wanted >= ceiling then k = ceiling else k = math.max(wanted, floor) end
                redis.call('XADD', KEYS[2], 'MAXLEN', string.format('%.0f', k), unpack(entry))
            else
                redis.call('XADD', KEYS[1], unpack(entry))
            end
        end
        local lms, lseq = ms, seq
        local fields = {'lm', string.format('%.0f', ms), 'ls', string.format('%.0f', seq)}
        local dc = tonumber(st[6]) or 0
        local lc = tonumber(st[7]) or 0
        if mode == '1' then
            sv = sv + n
            table.insert(fields, 's'); table.insert(fields, ARGV[10])
            table.insert(fields, 'sv'); table.insert(fields, string.format('%.0f', sv))
            table.insert(fields, 'sl'); table.insert(fields, ARGV[3])
            redis.call('HSETNX', KEYS[3], 'sf', ARGV[3])
        end
        if mode == '2' then
            lc = redis.call('XLEN', KEYS[2])
            table.insert(fields, 'lr'); table.insert(fields, string.format('%.17g', rate))
            table.insert(fields, 'lt'); table.insert(fields, string.format('%.0f', rms))
            table.insert(fields, 'lc'); table.insert(fields, lc)
        else
            dc = dc + n
            table.insert(fields, 'dc'); table.insert(fields, string.format('%.0f', dc))
        end
        redis.call('HSET', KEYS[3], unpack(fields))
        local count = dc + lc
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return {fms, fseq, lms, lseq, count, sv}
        """;

    // KEYS: durable, live. ARGV: from, to, count, '1' to leave out best-effort frames. Both ranges in one atomic step,
    // so an append between them cannot make a reader skip a frame; the caller merges them by id.
    public const string Read = """
        local d = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])
        if ARGV[4] == '1' then
            return {d}
        end
        return {d, redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[2], 'COUNT', ARGV[3])}
        """;

    public static readonly byte[] AppendHash = Hash(Append);

    public static readonly byte[] ReadHash = Hash(Read);

    /// <summary>The SHA-1 of a script's text, by which <c>EVALSHA</c> names it.</summary>
    public static byte[] Hash(string script) =>
#pragma warning disable CA5350 // SHA-1 is what EVALSHA names scripts by, not a security measure.
        SHA1.HashData(Encoding.UTF8.GetBytes(script));
#pragma warning restore CA5350
}
