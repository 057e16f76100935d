namespace Reactive.Streams.Storage.Redis;

/// <summary>
/// The consumer-group scripts of <see cref="RedisStreamLog"/>. A group is a pair of native Redis consumer groups of the
/// same name, one on the stream's durable entries and one on its best-effort entries, driven together so that the pair
/// hands out the stream's frames in id order as one group would: every new claim reads the next entries of both
/// (<c>XRANGE</c>), merges them by id, and takes exactly that many from each with <c>XREADGROUP … &gt;</c>. So the frames
/// the pair has handed out are always every frame up to one id, as on the other backends. The pending lists (owner,
/// delivery count) are Redis's own, kept by <c>XREADGROUP</c>, <c>XCLAIM</c> and <c>XACK</c>. Two hashes beside them
/// hold what the interface measures on the log's clock: <c>...:g:{group}:t</c> maps each pending id to when it was last
/// handed out, <c>...:g:{group}:c</c> each member to when it last claimed. A script returns <c>{-2}</c> when the group
/// does not exist (Redis's NOGROUP).
/// </summary>
internal static class GroupScripts
{
    // Helpers every group script starts with: id comparison, a group's last delivered id on one key, pending lists.
    private const string Prelude = """
        local function parse(id)
            local dash = string.find(id, '-', 1, true)
            return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
        end
        local function less(a, b)
            local am, as = parse(a)
            local bm, bs = parse(b)
            return am < bm or (am == bm and as < bs)
        end
        local function group_of(key, group)
            local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', key)
            if not ok then return nil end
            for _, g in ipairs(groups) do
                local fields = {}
                for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
                if fields['name'] == group then return fields end
            end
            return nil
        end
        local function tag(list, half)
            for _, e in ipairs(list) do e.half = half end
            return list
        end
        local function merge(a, b, limit)
            local out, i, j = {}, 1, 1
            while #out < limit and (i <= #a or j <= #b) do
                if j > #b or (i <= #a and less(a[i][1], b[j][1])) then
                    table.insert(out, a[i]); i = i + 1
                else
                    table.insert(out, b[j]); j = j + 1
                end
            end
            return out
        end

        """;

    // KEYS: durable, live. ARGV: group, durable start, live start. Returns 1 when this call created the group, else 0.
    // A group that exists on the durable entries only (made by another client) gains its best-effort half at the start.
    public const string Create = """
        local created = 0
        local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
        if type(r) == 'table' and r.err then
            if not string.find(r.err, 'BUSYGROUP', 1, true) then return redis.error_reply(r.err) end
        else
            created = 1
        end
        r = redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[1], ARGV[3], 'MKSTREAM')
        if type(r) == 'table' and r.err and not string.find(r.err, 'BUSYGROUP', 1, true) then return redis.error_reply(r.err) end
        return created
        """;

    // KEYS: durable, live, times, consumers. ARGV: 1 group, 2 consumer, 3 limit, 4 claim timeout ms, 5 now ms (log
    // clock), 6 how many pending entries of each half to examine. Returns {1, last delivered id, reclaimed entries, their
    // delivery counts, new entries}.
    // Reclaiming is XPENDING (the oldest ARGV[6] entries) and XCLAIM of those handed out at least the timeout ago, by the
    // log's clock (an entry without a recorded time, handed out by some other client, by the server's idle time).
    // XAUTOCLAIM's min-idle is measured on the server's clock, which the log's clock need not match.
    public const string Claim = Prelude + """
        local gd = group_of(KEYS[1], ARGV[1])
        local gl = group_of(KEYS[2], ARGV[1])
        if gd == nil or gl == nil then return {-2} end
        local limit = tonumber(ARGV[3])
        local timeout = tonumber(ARGV[4])
        local now = tonumber(ARGV[5])
        local pending = merge(
            tag(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', ARGV[6]), 1),
            tag(redis.call('XPENDING', KEYS[2], ARGV[1], '-', '+', ARGV[6]), 2), 2 * tonumber(ARGV[6]))
        local due = {{}, {}}
        local counts = {}
        local taken = 0
        for _, p in ipairs(pending) do
            if taken >= limit then break end
            local at = tonumber(redis.call('HGET', KEYS[3], p[1]))
            local expired
            if at == nil then expired = p[3] >= timeout else expired = now - at >= timeout end
            if expired then
                table.insert(due[p.half], p[1])
                counts[p[1]] = p[4] + 1
                taken = taken + 1
            end
        end
        local claimed = {}
        local claimedCounts = {}
        for half = 1, 2 do
            if #due[half] > 0 then
                local got = {}
                for _, e in ipairs(redis.call('XCLAIM', KEYS[half], ARGV[1], ARGV[2], 0, unpack(due[half]))) do
                    if type(e) == 'table' then
                        table.insert(claimed, e)
                        table.insert(claimedCounts, counts[e[1]])
                        redis.call('HSET', KEYS[3], e[1], ARGV[5])
                        got[e[1]] = true
                    end
                end
                -- Best-effort entries trimmed while pending are dropped from the pending list by XCLAIM; forget their times.
                for _, id in ipairs(due[half]) do
                    if not got[id] then redis.call('HDEL', KEYS[3], id) end
                end
            end
        end
        local fresh = {}
        local remaining = limit - #claimed
        local lastD, lastL = gd['last-delivered-id'], gl['last-delivered-id']
        if remaining > 0 then
            local next = merge(
                tag(redis.call('XRANGE', KEYS[1], '(' .. lastD, '+', 'COUNT', remaining), 1),
                tag(redis.call('XRANGE', KEYS[2], '(' .. lastL, '+', 'COUNT', remaining), 2), remaining)
            local n = {0, 0}
            for _, e in ipairs(next) do n[e.half] = n[e.half] + 1 end
            for half = 1, 2 do
                if n[half] > 0 then
                    local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', n[half], 'STREAMS', KEYS[half], '>')
                    for _, e in ipairs(r[1][2]) do
                        table.insert(fresh, e)
                        redis.call('HSET', KEYS[3], e[1], ARGV[5])
                    end
                end
            end
            lastD = group_of(KEYS[1], ARGV[1])['last-delivered-id']
            lastL = group_of(KEYS[2], ARGV[1])['last-delivered-id']
        end
        redis.call('HSET', KEYS[4], ARGV[2], ARGV[5])
        local last = lastD
        if less(lastD, lastL) then last = lastL end
        return {1, last, claimed, claimedCounts, fresh}
        """;

    // KEYS: durable, live, times. ARGV: group, ids... Returns {1, acknowledged}.
    public const string Acknowledge = Prelude + """
        if group_of(KEYS[1], ARGV[1]) == nil or group_of(KEYS[2], ARGV[1]) == nil then return {-2} end
        local acked = 0
        local i = 2
        while i <= #ARGV do
            local chunk = {}
            for j = i, math.min(i + 999, #ARGV) do table.insert(chunk, ARGV[j]) end
            acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk)) + redis.call('XACK', KEYS[2], ARGV[1], unpack(chunk))
            redis.call('HDEL', KEYS[3], unpack(chunk))
            i = i + 1000
        end
        return {1, acked}
        """;

    // KEYS: durable, live, times. ARGV: group, limit, now ms, consumer or ''. Returns {1, {id, consumer, idle ms, count}...}.
    public const string Pending = Prelude + """
        if group_of(KEYS[1], ARGV[1]) == nil or group_of(KEYS[2], ARGV[1]) == nil then return {-2} end
        local function pending_of(key)
            if ARGV[4] == '' then return redis.call('XPENDING', key, ARGV[1], '-', '+', ARGV[2]) end
            return redis.call('XPENDING', key, ARGV[1], '-', '+', ARGV[2], ARGV[4])
        end
        local pending = merge(pending_of(KEYS[1]), pending_of(KEYS[2]), tonumber(ARGV[2]))
        local now = tonumber(ARGV[3])
        for _, p in ipairs(pending) do
            local at = tonumber(redis.call('HGET', KEYS[3], p[1]))
            if at ~= nil then p[3] = math.max(0, now - at) end
        end
        return {1, pending}
        """;

    // KEYS: durable, live, consumers. ARGV: group, now ms. Returns {1, last delivered id, pending, lag,
    // {name, pending, idle ms}...} or {-2}. Lag is XINFO's where Redis knows it, otherwise counted with XRANGE.
    public const string Info = Prelude + """
        local halves = {group_of(KEYS[1], ARGV[1]), group_of(KEYS[2], ARGV[1])}
        if halves[1] == nil or halves[2] == nil then return {-2} end
        local last = halves[1]['last-delivered-id']
        local pending, lag = 0, 0
        local held = {}
        for half = 1, 2 do
            local g = halves[half]
            if less(last, g['last-delivered-id']) then last = g['last-delivered-id'] end
            pending = pending + g['pending']
            local l = g['lag']
            if type(l) ~= 'number' then l = #redis.call('XRANGE', KEYS[half], '(' .. g['last-delivered-id'], '+') end
            lag = lag + l
            local summary = redis.call('XPENDING', KEYS[half], ARGV[1])
            if summary[4] then
                for _, c in ipairs(summary[4]) do held[c[1]] = (held[c[1]] or 0) + tonumber(c[2]) end
            end
        end
        local now = tonumber(ARGV[2])
        local members = {}
        local seen = redis.call('HGETALL', KEYS[3])
        for i = 1, #seen, 2 do
            table.insert(members, {seen[i], held[seen[i]] or 0, math.max(0, now - tonumber(seen[i + 1]))})
        end
        return {1, last, pending, lag, members}
        """;
}
