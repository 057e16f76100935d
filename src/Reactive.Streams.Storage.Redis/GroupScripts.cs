namespace Reactive.Streams.Storage.Redis;

/// <summary>
/// The consumer-group scripts of <see cref="RedisStreamLog"/>. A group is a native Redis consumer group on the stream's
/// durable entries: its pending list (owner, delivery count) is Redis's own, kept by <c>XREADGROUP</c>, <c>XCLAIM</c>
/// and <c>XACK</c>. Two hashes beside it hold what the interface measures on the log's clock: <c>...:g:{group}:t</c>
/// maps each pending id to when it was last handed out, <c>...:g:{group}:c</c> each member to when it last claimed.
/// A script returns <c>{-2}</c> when the group does not exist (Redis's NOGROUP).
/// </summary>
internal static class GroupScripts
{
    // KEYS: durable, times, consumers. ARGV: 1 group, 2 consumer, 3 limit, 4 claim timeout ms, 5 now ms (log clock),
    // 6 how many pending entries to examine. Returns {1, last delivered id, reclaimed entries, their delivery counts,
    // new entries}.
    // Reclaiming is XPENDING (the oldest ARGV[6] entries) and XCLAIM of those handed out at least the timeout ago, by the
    // log's clock (an entry without a recorded time, handed out by some other client, by the server's idle time).
    // XAUTOCLAIM's min-idle is measured on the server's clock, which the log's clock need not match.
    public const string Claim = """
        local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', ARGV[6])
        if type(pending) == 'table' and pending.err then
            if string.find(pending.err, 'NOGROUP', 1, true) then return {-2} end
            return redis.error_reply(pending.err)
        end
        local limit = tonumber(ARGV[3])
        local timeout = tonumber(ARGV[4])
        local now = tonumber(ARGV[5])
        local due = {}
        local counts = {}
        for _, p in ipairs(pending) do
            if #due >= limit then break end
            local at = tonumber(redis.call('HGET', KEYS[2], p[1]))
            local expired
            if at == nil then expired = p[3] >= timeout else expired = now - at >= timeout end
            if expired then
                table.insert(due, p[1])
                counts[p[1]] = p[4] + 1
            end
        end
        local claimed = {}
        local claimedCounts = {}
        if #due > 0 then
            claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(due))
            for _, e in ipairs(claimed) do
                table.insert(claimedCounts, counts[e[1]])
                redis.call('HSET', KEYS[2], e[1], ARGV[5])
            end
        end
        local fresh = {}
        local remaining = limit - #claimed
        if remaining > 0 then
            local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', remaining, 'STREAMS', KEYS[1], '>')
            if r then
                fresh = r[1][2]
                for _, e in ipairs(fresh) do
                    redis.call('HSET', KEYS[2], e[1], ARGV[5])
                end
            end
        else
            -- XCLAIM made the consumer; XREADGROUP would have.
        end
        redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
        local last = '0-0'
        for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
            local name, id
            for i = 1, #g, 2 do
                if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then id = g[i + 1] end
            end
            if name == ARGV[1] then last = id end
        end
        return {1, last, claimed, claimedCounts, fresh}
        """;

    // KEYS: durable, times. ARGV: group, ids... Returns {1, acknowledged}.
    public const string Acknowledge = """
        local check = redis.pcall('XPENDING', KEYS[1], ARGV[1])
        if type(check) == 'table' and check.err then
            if string.find(check.err, 'NOGROUP', 1, true) then return {-2} end
            return redis.error_reply(check.err)
        end
        local acked = 0
        local i = 2
        while i <= #ARGV do
            local chunk = {}
            for j = i, math.min(i + 999, #ARGV) do table.insert(chunk, ARGV[j]) end
            acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk))
            redis.call('HDEL', KEYS[2], unpack(chunk))
            i = i + 1000
        end
        return {1, acked}
        """;

    // KEYS: durable, times. ARGV: group, limit, now ms, consumer or ''. Returns {1, {id, consumer, idle ms, count}...}.
    public const string Pending = """
        local pending
        if ARGV[4] == '' then
            pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', ARGV[2])
        else
            pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', ARGV[2], ARGV[4])
        end
        if type(pending) == 'table' and pending.err then
            if string.find(pending.err, 'NOGROUP', 1, true) then return {-2} end
            return redis.error_reply(pending.err)
        end
        local now = tonumber(ARGV[3])
        for _, p in ipairs(pending) do
            local at = tonumber(redis.call('HGET', KEYS[2], p[1]))
            if at ~= nil then p[3] = math.max(0, now - at) end
        end
        return {1, pending}
        """;

    // KEYS: durable, consumers. ARGV: group, now ms. Returns {1, last delivered id, pending, lag, {name, pending, idle ms}...}
    // or {-2}. Lag is XINFO's where Redis knows it, otherwise counted with XRANGE.
    public const string Info = """
        local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
        if not ok then return {-2} end
        local found
        for _, g in ipairs(groups) do
            local fields = {}
            for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
            if fields['name'] == ARGV[1] then found = fields end
        end
        if not found then return {-2} end
        local last = found['last-delivered-id']
        local lag = found['lag']
        if type(lag) ~= 'number' then
            lag = #redis.call('XRANGE', KEYS[1], '(' .. last, '+')
        end
        local now = tonumber(ARGV[2])
        local members = {}
        for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
            local fields = {}
            for i = 1, #c, 2 do fields[c[i]] = c[i + 1] end
            local idle = fields['idle']
            local at = tonumber(redis.call('HGET', KEYS[2], fields['name']))
            if at ~= nil then idle = math.max(0, now - at) end
            table.insert(members, {fields['name'], fields['pending'], idle})
        end
        return {1, last, found['pending'], lag, members}
        """;
}
