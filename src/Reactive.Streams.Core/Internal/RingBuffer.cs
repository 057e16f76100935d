namespace Reactive.Streams.Internal;

/// <summary>
/// A FIFO ring buffer that grows up to a bound. Hand-written because the runtime's Deque used by
/// BoundedChannel is internal, and Queue&lt;T&gt; has no bound and no cheap "evict the oldest" on the same array.
/// Not thread-safe: the owning buffer's lock protects it.
/// </summary>
internal sealed class RingBuffer<T>
{
    private const int InitialSize = 32;
    private readonly int _bound;
    private T[] _items;
    private int _head;
    private int _tail;
    private int _count;

    public RingBuffer(int bound)
    {
        _bound = bound;
        _items = new T[Math.Min(bound, InitialSize)];
    }

    public int Count => _count;

    public void Enqueue(T item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        _items[_tail] = item;
        if (++_tail == _items.Length)
        {
            _tail = 0;
        }

        _count++;
    }

    public T Dequeue()
    {
        var items = _items;
        var item = items[_head];
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            items[_head] = default!;
        }

        if (++_head == items.Length)
        {
            _head = 0;
        }

        _count--;
        return item;
    }

    public T Peek() => _items[_head];

    /// <summary>
    /// Takes the oldest item and enqueues <paramref name="item"/> in one step: <see cref="Count"/> never changes, so a
    /// reader of the count without the owner's lock (a channel's <c>Count</c>) never sees the buffer one item short
    /// while an eviction or a parked writer's hand-off is half done. The buffer holds at least one item.
    /// </summary>
    public T ReplaceOldest(T item)
    {
        var items = _items;
        var oldest = items[_head];
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            items[_head] = default!;
        }

        if (++_head == items.Length)
        {
            _head = 0;
        }

        items[_tail] = item;
        if (++_tail == items.Length)
        {
            _tail = 0;
        }

        return oldest;
    }

    private void Grow()
    {
        var size = (int)Math.Min((long)_items.Length * 2, _bound);
        var grown = new T[Math.Max(size, _count + 1)];
        if (_head < _tail)
        {
            Array.Copy(_items, _head, grown, 0, _count);
        }
        else
        {
            Array.Copy(_items, _head, grown, 0, _items.Length - _head);
            Array.Copy(_items, 0, grown, _items.Length - _head, _tail);
        }

        _items = grown;
        _head = 0;
        _tail = _count == grown.Length ? 0 : _count;
    }
}
