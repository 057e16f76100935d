using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Testing;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// A component reads its <see cref="BoundedStreamOptions{T}"/> once, when it is created (docs/naming.md, Options):
/// changing the object afterwards changes nothing, also for the components that build their buffers later, an Rx
/// operator at each subscription and a lazy enumerable at each enumeration.
/// </summary>
public sealed class OptionsReadOnceTests
{
    [Fact]
    public void An_Rx_operator_keeps_the_options_it_was_created_with()
    {
        var scheduler = new TestScheduler();
        var first = new List<int>();
        var later = new List<int>();
        var name = $"read-once-{Guid.NewGuid():N}";
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 1)
        {
            Name = name,
            Degrader = static x => -x,
            OnDropped = first.Add,
        };
        var subject = new Subject<int>();
        var buffered = subject.WithBackpressure(options, scheduler);

        options.Name = "changed";
        options.Degrader = static x => x * 100;
        options.OnDropped = later.Add;

        var received = new List<int>();
        using var subscription = buffered.Subscribe(received.Add);
        subject.OnNext(1);
        subject.OnNext(2);
        scheduler.Start();

        Assert.Equal(name, ((IMeteredStream)subscription).Name);
        Assert.Equal([-2], received);
        Assert.Equal([1], first);
        Assert.Empty(later);
    }

    [Fact]
    public async Task A_lazy_enumerable_keeps_the_options_it_was_created_with()
    {
        var first = new List<int>();
        var later = new List<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 1) { OnDropped = first.Add };
        var items = Observable.Range(1, 3).ToAsyncEnumerable(options);

        options.OnDropped = later.Add;

        var received = new List<int>();
        await foreach (var item in items.WithCancellation(CancellationToken.None))
        {
            received.Add(item);
        }

        // Range emits while it is subscribed, before the first read: the one-item buffer keeps the last item only.
        Assert.Equal([3], received);
        Assert.Equal([1, 2], first);
        Assert.Empty(later);
    }
}
