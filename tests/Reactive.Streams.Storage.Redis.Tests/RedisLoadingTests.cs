using System.Reflection;
using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// A restarted server that has data to load accepts connections, and StackExchange.Redis reports the connection
/// restored, before the data is back; until then every command is answered <c>LOADING</c> and none runs. The log's
/// database here is wrapped so that the next commands are answered the way StackExchange.Redis reports that reply
/// (a <see cref="RedisServerException"/> whose message starts with <c>LOADING</c>) without reaching the server, which
/// makes "the server is loading" a state the test turns on and off, and the waits run on a <see cref="TestClock"/>.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class RedisLoadingTests(RedisServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly TestClock _clock = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private IConnectionMultiplexer _multiplexer = null!;
    private LoadingServer _loading = null!;

    private RedisServerFixture Server => server;

    public async Task InitializeAsync()
    {
        server.EnsureRunning();
        var real = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString);
        _owned.Add(real);
        (_multiplexer, _loading) = LoadingServer.Wrap(real);
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<RedisStreamLog> OpenAsync(TimeSpan? reconnectTimeout = null)
    {
        var options = new RedisStreamLogOptions { TimeProvider = _clock };
        if (reconnectTimeout is { } timeout)
        {
            options.ReconnectTimeout = timeout;
        }

        var log = await RedisStreamLog.OpenAsync(_multiplexer, options);
        _owned.Add(log);
        return log;
    }

    private static string NewStream() => "loading-" + Guid.NewGuid().ToString("N");

    private static ReadOnlyMemory<byte> Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    /// <summary>
    /// Lets the call's waits run out while the server answers <c>LOADING</c> <paramref name="refusals"/> times: after
    /// each refusal the call sets a timer (50 ms, then doubling), which the test fires by advancing the clock.
    /// </summary>
    private async Task<T> RideOutAsync<T>(Func<Task<T>> call, int refusals, bool asConnectionFailure = false)
    {
        var timers = _clock.TimersCreated;
        _loading.Refuse(refusals, asConnectionFailure);
        var task = call();
        for (var i = 1; i <= refusals; i++)
        {
            await WaitingAsync(task, timers + i);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        var result = await task.WaitAsync(Guard);
        Assert.Equal(0, _loading.Pending);
        return result;
    }

    /// <summary>Completes once the clock has <paramref name="timers"/> timers; fails at once if the call ends first.</summary>
    private async Task WaitingAsync(Task call, int timers)
    {
        var timer = _clock.WaitForTimersAsync(timers);
        if (await Task.WhenAny(timer, call) == call)
        {
            await call;
            Assert.Fail("The call ended instead of waiting to send its command again.");
        }

        await timer;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_read_answered_LOADING_waits_on_the_log_clock_and_is_sent_again(bool asConnectionFailure)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, Utf8("kept"), AppendMode.Durable);

        var frames = await RideOutAsync(() => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask(), refusals: 3, asConnectionFailure);

        Assert.Equal(["kept"], frames.Select(Text));
        Assert.Equal(3, _loading.Refused);
    }

    [Fact]
    public async Task The_waits_start_at_50_ms_and_double()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        _loading.Refuse(3);

        var read = log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask();
        await WaitingAsync(read, timers + 1);
        _clock.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Equal(1, _loading.Refused);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitingAsync(read, timers + 2);
        Assert.Equal(2, _loading.Refused);
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(2, _loading.Refused);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitingAsync(read, timers + 3);
        Assert.Equal(3, _loading.Refused);
        _clock.Advance(TimeSpan.FromMilliseconds(200));

        Assert.Empty(await read.WaitAsync(Guard));
    }

    [Theory]
    [InlineData(AppendMode.Durable, false)]
    [InlineData(AppendMode.DurableSummary, false)]
    [InlineData(AppendMode.BestEffortLive, false)]
    [InlineData(AppendMode.Durable, true)]
    [InlineData(AppendMode.DurableSummary, true)]
    [InlineData(AppendMode.BestEffortLive, true)]
    public async Task An_append_answered_LOADING_is_sent_again_and_written_once(AppendMode mode, bool asConnectionFailure)
    {
        var log = await OpenAsync();
        var stream = NewStream();

        await RideOutAsync(() => log.AppendAsync(stream, Utf8("""{"a":1}"""), mode).AsTask(), refusals: 2, asConnectionFailure);
        await RideOutAsync(() => log.AppendBatchAsync(stream, [Utf8("""{"b":2}"""), Utf8("""{"c":3}""")], mode).AsTask(), refusals: 2, asConnectionFailure);

        Assert.Equal(["""{"a":1}""", """{"b":2}""", """{"c":3}"""], (await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
        if (mode == AppendMode.DurableSummary)
        {
            // One version per frame, each frame's patch merged once.
            var summary = await log.ReadSummaryAsync(stream);
            Assert.Equal(3, summary!.Version);
            Assert.Equal("""{"a":1,"b":2,"c":3}""", summary.Document.GetRawText().Replace(" ", "", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Group_calls_answered_LOADING_are_sent_again_and_hand_each_frame_out_once()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendBatchAsync(stream, [Utf8("a"), Utf8("b")], AppendMode.Durable);

        Assert.True(await RideOutAsync(() => log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning).AsTask(), refusals: 2));
        var claim = await RideOutAsync(() => log.ClaimAsync(stream, "g", "c1", 10, TimeSpan.FromMinutes(1)).AsTask(), refusals: 2);
        Assert.Equal(["a", "b"], claim.Frames.Select(c => Text(c.Frame)));
        Assert.Empty((await log.ClaimAsync(stream, "g", "c2", 10, TimeSpan.FromMinutes(1))).Frames);
        var pending = await RideOutAsync(() => log.ReadPendingAsync(stream, "g", null, 10).AsTask(), refusals: 1);
        Assert.Equal(2, pending.Count);
        Assert.All(pending, p => Assert.Equal(1, p.DeliveryCount));
        Assert.Equal(2, await RideOutAsync(() => log.AcknowledgeAsync(stream, "g", claim.Frames.Select(c => c.Frame.Id).ToArray()).AsTask(), refusals: 1));
        var info = await RideOutAsync(() => log.ReadGroupAsync(stream, "g").AsTask(), refusals: 1);
        Assert.Equal(0, info!.PendingCount);
    }

    [Fact]
    public async Task Summary_and_checkpoint_calls_answered_LOADING_are_sent_again()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        await log.AppendAsync(stream, Utf8("""{"a":1}"""), AppendMode.DurableSummary);
        var checkpoint = "loading-" + Guid.NewGuid().ToString("N");
        var position = new StreamId(5, 6);

        Assert.Equal(1, (await RideOutAsync(() => log.ReadSummaryAsync(stream).AsTask(), refusals: 1))!.Version);
        await RideOutAsync(async () => { await log.WriteCheckpointAsync(checkpoint, position); return true; }, refusals: 2);
        Assert.Equal(position, await RideOutAsync(() => log.ReadCheckpointAsync(checkpoint).AsTask(), refusals: 2));
    }

    [Fact]
    public async Task Opening_while_the_server_is_LOADING_waits_for_it()
    {
        var log = await RideOutAsync(() => OpenAsync(), refusals: 2);
        var stream = NewStream();

        await log.AppendAsync(stream, Utf8("x"), AppendMode.Durable);
        Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Fact]
    public async Task A_server_still_LOADING_after_ReconnectTimeout_fails_with_its_error_and_nothing_was_written()
    {
        var log = await OpenAsync(reconnectTimeout: TimeSpan.FromSeconds(2));
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        _loading.Refuse(int.MaxValue);

        var append = log.AppendAsync(stream, Utf8("never"), AppendMode.Durable).AsTask();
        // Waits of 50, 100, 200, 400 and 800 ms, then the 450 ms left of the 2 s; the seventh LOADING is thrown.
        int[] waits = [50, 100, 200, 400, 800, 450];
        for (var i = 0; i < waits.Length; i++)
        {
            await WaitingAsync(append, timers + i + 1);
            _clock.Advance(TimeSpan.FromMilliseconds(waits[i] - 1));
            Assert.Equal(i + 1, _loading.Refused);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var error = await Assert.ThrowsAsync<RedisServerException>(() => append.WaitAsync(Guard));
        Assert.StartsWith("LOADING", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, _loading.Refused);
        _loading.Refuse(0);
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Fact]
    public async Task A_zero_ReconnectTimeout_throws_the_first_LOADING()
    {
        var log = await OpenAsync(reconnectTimeout: TimeSpan.Zero);
        var timers = _clock.TimersCreated;
        _loading.Refuse(1);

        await Assert.ThrowsAsync<RedisServerException>(() => log.ReadAsync(NewStream(), StreamId.Min, StreamId.Max, 10).AsTask().WaitAsync(Guard));
        Assert.Equal(timers, _clock.TimersCreated);
    }

    [Fact]
    public async Task Cancelling_a_call_that_waits_for_a_LOADING_server_throws_at_once_and_writes_nothing()
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        _loading.Refuse(int.MaxValue);
        using var cancel = new CancellationTokenSource();

        var append = log.AppendAsync(stream, Utf8("cancelled"), AppendMode.Durable, cancel.Token).AsTask();
        await WaitingAsync(append, timers + 1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append.WaitAsync(Guard));
        Assert.Equal(1, _loading.Refused);
        _loading.Refuse(0);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_parked_tail_woken_while_the_server_is_LOADING_waits_and_goes_on(bool asConnectionFailure)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var timers = _clock.TimersCreated;
        var tail = log.TailAsync(stream, StreamId.Min, TimeSpan.FromDays(1), 10).AsTask();
        await _clock.WaitForTimersAsync(timers + 1);

        // Another log appends (its announcement wakes the tail), then the server refuses the tail's re-check twice.
        await using (var other = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock }))
        {
            _loading.Refuse(2, asConnectionFailure);
            await other.AppendAsync(stream, Utf8("after the restart"), AppendMode.Durable);
        }

        for (var i = 2; i <= 3; i++)
        {
            await WaitingAsync(tail, timers + i);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(["after the restart"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public void A_negative_ReconnectTimeout_is_refused_naming_the_option()
    {
        var options = new RedisStreamLogOptions { ReconnectTimeout = TimeSpan.FromMilliseconds(-1) };

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(RedisStreamLogOptions.ReconnectTimeout), error.ParamName);
    }
}

/// <summary>
/// Wraps a multiplexer so that the databases it hands out answer the next commands as a loading server does. Only
/// commands that return a task are refused; the log sends nothing else.
/// </summary>
public class LoadingServer : DispatchProxy
{
    private IConnectionMultiplexer _target = null!;
    private int _pending;
    private int _refused;

    /// <summary>Commands still to refuse.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Commands refused so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public static (IConnectionMultiplexer Multiplexer, LoadingServer Server) Wrap(IConnectionMultiplexer target)
    {
        var multiplexer = Create<IConnectionMultiplexer, LoadingServer>();
        var server = (LoadingServer)(object)multiplexer;
        server._target = target;
        return (multiplexer, server);
    }

    /// <summary>
    /// Answers the next <paramref name="commands"/> commands <c>LOADING</c> (0 stops refusing): as the server's reply,
    /// or, with <paramref name="asConnectionFailure"/>, as StackExchange.Redis fails the commands in flight when its
    /// own ping met the reply first.
    /// </summary>
    public void Refuse(int commands, bool asConnectionFailure = false) =>
        Fail(commands, asConnectionFailure
            ? () => new RedisConnectionException(ConnectionFailureType.Loading, "Loading (None, last-recv: 455) on 127.0.0.1:6379/Interactive")
            : () => new RedisServerException("LOADING Redis is loading the dataset in memory"));

    /// <summary>Fails the next <paramref name="commands"/> commands with <paramref name="error"/>, without sending them.</summary>
    public void Fail(int commands, Func<Exception> error)
    {
        Error = error;
        Volatile.Write(ref _pending, commands);
    }

    internal Func<Exception> Error { get; private set; } = () => new InvalidOperationException("no failure set");

    private HeldCommand? _hold;

    /// <summary>
    /// Holds the next command of the database named <paramref name="method"/> (such as <c>HashGetAsync</c> or
    /// <c>ScriptEvaluateAsync</c>) unsent until <see cref="HeldCommand.Release"/>: the caller waits on it as on a command in
    /// flight. The held command is then sent to the real server.
    /// </summary>
    public HeldCommand Hold(string method) => Volatile.Read(ref _hold) is null
        ? _hold = new HeldCommand(method)
        : throw new InvalidOperationException("A command is already held.");

    /// <summary>The hold for a command of <paramref name="method"/>, taken once.</summary>
    internal HeldCommand? TakeHold(string method)
    {
        var hold = Volatile.Read(ref _hold);
        return hold is not null && hold.Method == method && Interlocked.CompareExchange(ref _hold, null, hold) == hold ? hold : null;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var result = Forward(_target, targetMethod!, args);
        return targetMethod!.Name == nameof(IConnectionMultiplexer.GetDatabase) ? LoadingDatabase.Wrap((IDatabase)result!, this) : result;
    }

    internal static object? Forward(object target, MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    /// <summary>Whether the next command is refused (and counts it).</summary>
    internal bool TakeRefusal()
    {
        while (true)
        {
            var pending = Volatile.Read(ref _pending);
            if (pending <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _pending, pending == int.MaxValue ? pending : pending - 1, pending) == pending)
            {
                Interlocked.Increment(ref _refused);
                return true;
            }
        }
    }
}

/// <summary>The database side of <see cref="LoadingServer"/>.</summary>
public class LoadingDatabase : DispatchProxy
{
    private static readonly MethodInfo FromException = typeof(Task).GetMethods()
        .Single(m => m.Name == nameof(Task.FromException) && m.IsGenericMethodDefinition);

    private IDatabase _target = null!;
    private LoadingServer _server = null!;

    public static IDatabase Wrap(IDatabase target, LoadingServer server)
    {
        var database = Create<IDatabase, LoadingDatabase>();
        var wrapper = (LoadingDatabase)(object)database;
        wrapper._target = target;
        wrapper._server = server;
        return database;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var returns = targetMethod!.ReturnType;
        if (typeof(Task).IsAssignableFrom(returns) && _server.TakeRefusal())
        {
            // What StackExchange.Redis reports for the failure, e.g. the reply "-LOADING Redis is loading the dataset in memory".
            var error = _server.Error();
            return returns.IsGenericType
                ? FromException.MakeGenericMethod(returns.GetGenericArguments()[0]).Invoke(null, [error])
                : Task.FromException(error);
        }

        if (typeof(Task).IsAssignableFrom(returns) && returns.IsGenericType && _server.TakeHold(targetMethod.Name) is { } hold)
        {
            return HoldThenSend.MakeGenericMethod(returns.GetGenericArguments()[0]).Invoke(null, [hold, (Func<object?>)(() => LoadingServer.Forward(_target, targetMethod, args))]);
        }

        return LoadingServer.Forward(_target, targetMethod, args);
    }

    private static readonly MethodInfo HoldThenSend = typeof(LoadingDatabase).GetMethod(nameof(HoldThenSendAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static async Task<T> HoldThenSendAsync<T>(HeldCommand hold, Func<object?> send)
    {
        hold.Reached.TrySetResult();
        await hold.Released.Task;
        var sent = (Task<T>)send()!;
        try
        {
            var result = await sent;
            hold.Ran.TrySetResult();
            return result;
        }
        catch (Exception e)
        {
            hold.Ran.TrySetException(e);
            throw;
        }
    }
}

/// <summary>A command <see cref="LoadingServer.Hold"/> keeps unsent until it is released.</summary>
public sealed class HeldCommand(string method)
{
    public string Method { get; } = method;

    /// <summary>Completes when the log has issued the command (and waits on it).</summary>
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the released command has run on the server.</summary>
    public TaskCompletionSource Ran { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Sends the command to the server.</summary>
    public void Release() => Released.TrySetResult();
}
