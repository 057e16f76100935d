using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Testing;
using Xunit.Abstractions;

namespace Reactive.Streams.Tests.Arguments;

/// <summary>
/// Every public constructor, static method, extension method, property setter and instance method of
/// Reactive.Streams.Core, called with one non-nullable reference argument null at a time, throws
/// <see cref="ArgumentNullException"/> naming that parameter, synchronously: not from the returned task, not only when
/// a returned sequence is enumerated. Instance members are called on fresh receivers built here: a bounded stream, the
/// Dataflow block, an observer, a dispatcher and its options, the in-memory log, a cursor canal, a consumer-group canal,
/// a lossy subscription and every options type.
/// </summary>
public sealed class NullArgumentSweepTests(ITestOutputHelper output)
{
    private static readonly Func<int, CancellationToken, ValueTask> Handler = (_, _) => default;

    [Fact]
    public void Every_public_member_of_Core_names_its_null_argument_synchronously()
    {
        var sweep = CoreSweep();

        var failures = sweep.Run(typeof(BoundedStream<>).Assembly);

        output.WriteLine($"{sweep.Covered.Count} calls made; not covered:{Environment.NewLine}{SweepReport.Format(sweep.NotCovered)}");
        Assert.True(failures.Count == 0, SweepReport.Format(failures));
        Assert.True(sweep.NotCovered.Count == 0, "Members the sweep could not call (add a sample, a receiver or an exclusion with its reason):"
            + Environment.NewLine + SweepReport.Format(sweep.NotCovered));
        Assert.True(sweep.Covered.Count > 150, $"Only {sweep.Covered.Count} calls were made; the sweep lost its receivers.");
    }

    [Fact]
    public void Every_public_member_of_Testing_names_its_null_argument_synchronously()
    {
        var sweep = new NullArgumentSweep()
            .Sample(() => 1L)
            .Sample(() => 1)
            .Sample<Func<IObservable<int>>>(() => Observable.Never<int>)
            .Sample<Func<int, bool>>(() => _ => true)
            .Sample<Func<Exception, bool>>(() => _ => true)
            .Sample<Exception>(() => new InvalidOperationException("sample"))
            .Sample(() => TimeSpan.FromSeconds(1))
            .Sample(() => ReactiveTest.OnNext(1, 1))
            .Sample<IScheduler>(() => new TestScheduler())
            .Sample<Func<IScheduler, int, IDisposable>>(() => (_, _) => System.Reactive.Disposables.Disposable.Empty)
            .Receiver(() => new TestScheduler());

        var failures = sweep.Run(typeof(TestScheduler).Assembly);

        output.WriteLine($"{sweep.Covered.Count} calls made");
        Assert.True(failures.Count == 0, SweepReport.Format(failures));
        Assert.True(sweep.NotCovered.Count == 0, SweepReport.Format(sweep.NotCovered));
        Assert.True(sweep.Covered.Count > 8, $"Only {sweep.Covered.Count} calls were made.");
    }

    [Fact]
    public void After_disposal_every_member_throws_ObjectDisposedException_or_is_a_no_op_and_nothing_hangs()
    {
        var sweep = CoreSweep();

        // The closed-canal and closed-stream exceptions are what a pull or push on a disposed canal or stream documents;
        // a dispatch after disposal documents ObjectDisposedException through its task (a parked one rejected by the
        // disposal's shutdown, InvalidOperationException).
        var failures = sweep.RunAfterDispose(typeof(CanalClosedException), typeof(System.Threading.Channels.ChannelClosedException), typeof(InvalidOperationException));

        output.WriteLine(SweepReport.Format(sweep.Covered));
        Assert.True(failures.Count == 0, SweepReport.Format(failures));
        Assert.True(sweep.Covered.Count > 20, $"Only {sweep.Covered.Count} calls were made.");
    }

    internal static NullArgumentSweep CoreSweep()
    {
        var log = new InMemoryStreamLog();
        return new NullArgumentSweep()
            .Sample(() => "s")
            .Sample(() => 1)
            .Sample(() => 1L)
            .Sample(() => 0.5)
            .Sample(() => TimeSpan.FromSeconds(1))
            .Sample(() => false)
            .Sample(() => CancellationToken.None)
            .Sample(() => DateTimeOffset.UnixEpoch)
            .Sample(() => typeof(int))
            .Sample(() => new InvalidOperationException("sample"))
            .Sample<Exception>(() => new InvalidOperationException("sample"))
            .Sample(() => Observable.Never<int>())
            .Sample<IScheduler>(() => ImmediateScheduler.Instance)
            .Sample<Func<int, int>>(() => x => x)
            .Sample(() => Handler)
            .Sample<Func<CanalBatch<int>, CancellationToken, ValueTask>>(() => (_, _) => default)
            .Sample<Func<CanalBatch<StreamFrame>, CancellationToken, ValueTask>>(() => (_, _) => default)
            .Sample<Func<Exception, bool>>(() => _ => true)
            .Sample<Action<int>>(() => _ => { })
            .Sample(() => new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4))
            .Sample(() => BoundedStream.DropOldest<int>(4))
            .Sample(() => TimeProvider.System)
            .Sample<IStreamLog>(() => log)
            .Sample<IConsumerGroupLog>(() => log)
            .Sample<ICheckpointStore>(() => log)
            .Sample(() => new StreamLogOptions())
            .Sample(() => new LiveRetentionOptions())
            .Sample(() => new DeliveryOptions<int>().AddSink(new Sink("a")))
            .Sample<IDeliverySink<int>>(() => new Sink("a"))
            .Sample<IDeliverySink<DeadLetter<int>>>(() => new DeadLetterSink())
            .Sample(() => new DeliverySinkOptions())
            .Sample<ICanal<int>>(() => LossySubscription.Create(Observable.Never<int>(), 4))
            .Sample<ICanal<StreamFrame>>(() => LossySubscription.Create(Observable.Never<StreamFrame>(), 4))
            .Sample(() => new StreamFrame(new StreamId(1, 0), new byte[] { 1 }, AppendMode.Durable))
            .Sample(() => new ClaimedFrame(new StreamFrame(new StreamId(1, 0), new byte[] { 1 }, AppendMode.Durable), 1))
            .Sample<ReadOnlyMemory<byte>>(() => new byte[] { 1 })
            .Sample<IReadOnlyList<ReadOnlyMemory<byte>>>(() => [new byte[] { 1 }])
            .Sample<IReadOnlyList<StreamId>>(() => [])
            .Sample<IReadOnlyList<ClaimedFrame>>(() => [])
            .Sample<IReadOnlyList<ConsumerGroupMember>>(() => [])
            .Sample<IReadOnlyList<int>>(() => [1])
            .Sample(() => FrameHeaders.Empty)
            .Sample<ITargetBlock<int>>(() => new BufferBlock<int>())
            .Sample<ISourceBlock<int>>(() => new BufferBlock<int>())
            .Sample(() => new DataflowLinkOptions())
            .Sample(() => new JsonSerializerOptions())
            .Sample<JsonNode>(() => new JsonObject())
            .Sample(() => JsonDocument.Parse("{}").RootElement)
            .Sample(() => new Utf8JsonWriter(Stream.Null))
            .Sample(() => EventUnionJsonProperty.Of<int>("a", "a"))
            .Sample(() => new CursorCanalOptions())
            .Sample(() => new ConsumerGroupCanalOptions())
            .Sample(() => new CanalWorkerOptions())
            .Sample(() => CanalLinger.None)
            .Sample(() => ConsumerGroupStart.Beginning)
            .Sample(() => new StreamId(1, 0))
            .Sample("sinkName", () => "a")
            .Sample("from", () => "-")
            .Sample("to", () => "+")
            .Sample("after", () => "0")
            .Sample(() => new DataflowMessageHeader(1))
            .Sample<IReadOnlyList<IReadOnlyDictionary<string, string>?>>(() => [null])
            .Receiver(() => BoundedStream.DropOldest<int>(4))
            .Receiver(() => new BackpressureBlock<int>(BackpressurePolicy.DropOldest, 4))
            .Receiver(() => new BackpressureObserver<int>(Handler, new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), ImmediateScheduler.Instance))
            .Receiver(() => new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4))
            .Receiver(() => new DeliveryOptions<int>())
            .Receiver(() => new DeliverySinkOptions())
            .Receiver(() => new DeliveryDispatcher<int>(new DeliveryOptions<int>().AddSink(new Sink("a"))))
            .Receiver(() => new StreamLogOptions())
            .Receiver(() => new LiveRetentionOptions())
            .Receiver(() => new CursorCanalOptions())
            .Receiver(() => new ConsumerGroupCanalOptions())
            .Receiver(() => new CanalWorkerOptions())
            .Receiver(() => new BackpressureAttribute(BackpressurePolicy.DropOldest))
            .Receiver(() => new InMemoryStreamLog())
            .Receiver(() => CursorCanal.OpenAsync(new InMemoryStreamLog(), "s").AsTask().GetAwaiter().GetResult())
            .Receiver(() => ConsumerGroupCanal.OpenAsync(new InMemoryStreamLog(), "s", "g", "c").AsTask().GetAwaiter().GetResult())
            .Receiver(() => LossySubscription.Create(Observable.Never<int>(), 4))
            .Receiver(() => new ClaimedFrame(new StreamFrame(new StreamId(1, 0), new byte[] { 1 }, AppendMode.Durable), 1))
            .Receiver(() => new ConsumerGroupClaim([], StreamId.Min))
            .Receiver(() => new PendingFrame(StreamId.Min, "c", TimeSpan.Zero, 1))
            .Receiver(() => new ConsumerGroupMember("c", 0, TimeSpan.Zero))
            .Receiver(() => new ConsumerGroupInfo("s", "g", StreamId.Min, 0, 0, []))
            .Receiver(() => new DeadLetter<int>(1, "a", 1, new InvalidOperationException("sample"), DateTimeOffset.UnixEpoch))
            .Receiver(() => new StreamFrame(new StreamId(1, 0), new byte[] { 1 }, AppendMode.Durable))
            .CheckedWhole(typeof(DeliveryOptions<>))
            .CheckedWhole(typeof(StreamLogOptions))
            .CheckedWhole(typeof(LiveRetentionOptions))
            .Exclude("BackpressureObserver.OnError(Exception)", "an observer never throws into its producer: a null error faults Completion with ArgumentNullException('error'), as documented and tested (SinkObserverTests)")
            .Exclude("DeliverySinkMetrics.ctor(String,Int64,Int64,Int64,Int64,Int64,Int32)", "a readonly record struct the dispatcher fills: default(DeliverySinkMetrics) has a null SinkName anyway")
            .Exclude("DeliverySinkMetrics.set_SinkName(String)", "a readonly record struct the dispatcher fills: default(DeliverySinkMetrics) has a null SinkName anyway")
            .Exclude("EventUnionJsonConverter.Write(Utf8JsonWriter,String,JsonSerializerOptions)", "a generated union's converter; called by System.Text.Json only")
            .Exclude("EventUnionJsonConverter.ctor(String,EventUnionJsonVariant[],EventUnionJsonProperty[])", "abstract; the generator's converters are swept by the generator tests")
            .Exclude("EventUnionJsonConverter.Read(Utf8JsonReader&,Type,JsonSerializerOptions)", "a generated union's converter; called by System.Text.Json only")
            .Exclude("EventUnionJsonConverter.Write(Utf8JsonWriter,TUnion,JsonSerializerOptions)", "a generated union's converter; called by System.Text.Json only")
            .Exclude("EventUnionJsonConverter.SetShared(TUnion,Int32,Object)", "a generated union's converter; called by System.Text.Json only")
            .Exclude("EventUnionJsonConverter.Create(Int32,Object[])", "abstract, implemented by generated code")
            .Exclude("EventUnionJsonConverter.CreateUnknown(String,JsonElement)", "abstract, implemented by generated code")
            .Exclude("EventUnionJsonConverter.WriteVariant(TUnion,EventUnionJsonWriter&)", "abstract, implemented by generated code")
            .Exclude("EventUnionConverter<TUnion>", "closed only over a generated union (TUnion : IEventUnion<TUnion>); called by System.Text.Json only");
    }

    private sealed class Sink(string name) : IDeliverySink<int>
    {
        public string Name => name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    private sealed class DeadLetterSink : IDeliverySink<DeadLetter<int>>
    {
        public string Name => "dead";

        public ValueTask WriteAsync(DeadLetter<int> item, CancellationToken cancellationToken) => default;
    }
}
