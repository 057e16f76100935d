using System.Reactive.Concurrency;
using System.Reactive.Linq;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// A bad argument to a public factory names the factory's own parameter (as .NET's convention expects), never the
/// property of <see cref="BoundedStreamOptions{T}"/> the factory sets from it; set directly, a property names itself.
/// The streams' own factories are covered in <see cref="BoundedStreamTests"/>.
/// </summary>
public sealed class FactoryArgumentNameTests
{
    private static readonly BackpressurePolicy Undefined = (BackpressurePolicy)42;
    private static readonly IObservable<int> Source = Observable.Never<int>();
    private static readonly IScheduler Scheduler = ImmediateScheduler.Instance;

    [Fact]
    public void The_channel_factory_names_its_parameters()
    {
        Assert.Equal("capacity", OutOfRange(() => BackpressureChannel.Create<int>(BackpressurePolicy.Fail, 0)));
        Assert.Equal("policy", OutOfRange(() => BackpressureChannel.Create<int>(Undefined, 1)));
        Assert.Equal("options", Null(() => BackpressureChannel.Create<int>(null!)));
    }

    [Fact]
    public void The_Dataflow_block_names_its_parameters()
    {
        Assert.Equal("capacity", OutOfRange(() => new BackpressureBlock<int>(BackpressurePolicy.Fail, 0)));
        Assert.Equal("policy", OutOfRange(() => new BackpressureBlock<int>(Undefined, 1)));
        Assert.Equal("options", Null(() => new BackpressureBlock<int>(null!)));
    }

    [Fact]
    public void The_Rx_operators_name_their_parameters()
    {
        Assert.Equal("capacity", OutOfRange(() => Source.WithBackpressure(BackpressurePolicy.Fail, 0, Scheduler)));
        Assert.Equal("capacity", OutOfRange(() => Source.WithBackpressure(BackpressurePolicy.DegradeQuality, 0, x => x, Scheduler)));
        Assert.Equal("policy", OutOfRange(() => Source.WithBackpressure(Undefined, 1, Scheduler)));
        Assert.Equal("capacity", OutOfRange(() => Source.DropOldest(0, Scheduler)));
        Assert.Equal("capacity", OutOfRange(() => Source.DegradeQuality(0, x => x, Scheduler)));
        Assert.Equal("capacity", OutOfRange(() => Source.PauseUpstream(0, Scheduler)));
        Assert.Equal("capacity", OutOfRange(() => Source.PauseUpstream(0, TimeSpan.FromSeconds(1), Scheduler)));
        Assert.Equal("timeout", OutOfRange(() => Source.PauseUpstream(1, TimeSpan.FromSeconds(-1), Scheduler)));
        Assert.Equal("timeout", OutOfRange(() => Source.PauseUpstream(1, TimeSpan.MaxValue, Scheduler)));
        Assert.Equal("capacity", OutOfRange(() => Source.FailOnOverflow(0, Scheduler)));
        Assert.Equal("degrader", Null(() => Source.DegradeQuality(1, null!, Scheduler)));
        Assert.Equal("options", Null(() => Source.WithBackpressure((BoundedStreamOptions<int>)null!, Scheduler)));
        Assert.Equal("source", Null(() => ((IObservable<int>)null!).DropOldest(1, Scheduler)));
        Assert.Equal("scheduler", Null(() => Source.FailOnOverflow(1, null!)));
    }

    [Fact]
    public void SubscribeAsync_names_its_parameters()
    {
        static ValueTask Handle(int item, CancellationToken token) => default;

        Assert.Equal("capacity", OutOfRange(() => Source.SubscribeAsync(Handle, BackpressurePolicy.Fail, 0)));
        Assert.Equal("policy", OutOfRange(() => Source.SubscribeAsync(Handle, Undefined, 1)));
        Assert.Equal("handler", Null(() => Source.SubscribeAsync(null!, BackpressurePolicy.Fail, 1)));
        Assert.Equal("options", Null(() => Source.SubscribeAsync(Handle, (BoundedStreamOptions<int>)null!)));
        Assert.Equal("source", Null(() => ((IObservable<int>)null!).SubscribeAsync(Handle, BackpressurePolicy.Fail, 1)));
    }

    [Fact]
    public void The_bridges_name_their_parameters()
    {
        Assert.Equal("capacity", OutOfRange(() => Source.ToBoundedStream(BackpressurePolicy.Fail, 0)));
        Assert.Equal("policy", OutOfRange(() => Source.ToBoundedStream(Undefined, 1)));
        Assert.Equal("options", Null(() => Source.ToBoundedStream((BoundedStreamOptions<int>)null!)));
        Assert.Equal("capacity", OutOfRange(() => Source.ToAsyncEnumerable(BackpressurePolicy.Fail, 0)));
        Assert.Equal("policy", OutOfRange(() => Source.ToAsyncEnumerable(Undefined, 1)));
        Assert.Equal("options", Null(() => Source.ToAsyncEnumerable((BoundedStreamOptions<int>)null!)));
        Assert.Equal("stream", Null(() => ((BoundedStream<int>)null!).AsObservable(Scheduler)));
    }

    [Fact]
    public async Task The_lossy_canal_factory_names_its_parameters()
    {
        Assert.Equal("capacity", OutOfRange(() => LossySubscription.Create(Source, 0)));
        Assert.Equal("source", Null(() => LossySubscription.Create((IObservable<int>)null!, 1)));
        Assert.Equal("stream", Null(() => LossySubscription.Create((BoundedStream<int>)null!)));
        await using var named = LossySubscription.Create(Source, 1, name: null); // a null name is allowed: one is generated
    }

    [Fact]
    public void Options_set_directly_name_their_properties()
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1);

        Assert.Equal("PauseTimeout", OutOfRange(() => options.PauseTimeout = TimeSpan.FromSeconds(-1)));
        Assert.Equal("PauseTimeout", OutOfRange(() => options.PauseTimeout = TimeSpan.MaxValue));
        Assert.Equal("Name", Null(() => options.Name = null!));
        Assert.Equal("TimeProvider", Null(() => options.TimeProvider = null!));
    }

    [Fact]
    public void An_empty_name_is_rejected_naming_the_argument_or_the_option()
    {
        // An empty name would be a blank in every error message ("Stream '' is full") and a blank metric series; the
        // delivery options already refuse one.
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 1);
        Assert.Equal("Name", Empty(() => options.Name = string.Empty));
        Assert.NotEqual(string.Empty, options.Name);
        Assert.Equal("name", Empty(() => BoundedStream.DropOldest<int>(1, string.Empty)));
        Assert.Equal("name", Empty(() => BoundedStream.DegradeQuality<int>(1, x => x, string.Empty)));
        Assert.Equal("name", Empty(() => BoundedStream.PauseUpstream<int>(1, null, string.Empty)));
        Assert.Equal("name", Empty(() => BoundedStream.Fail<int>(1, string.Empty)));
        Assert.Equal("name", Empty(() => LossySubscription.Create(Source, 1, name: string.Empty)));
    }

    private static string? Empty(Func<object?> factory) => Assert.Throws<ArgumentException>(() => factory()).ParamName;

    private static string? OutOfRange(Func<object?> factory) => Assert.Throws<ArgumentOutOfRangeException>(() => factory()).ParamName;

    private static string? Null(Func<object?> factory) => Assert.Throws<ArgumentNullException>(() => factory()).ParamName;
}
