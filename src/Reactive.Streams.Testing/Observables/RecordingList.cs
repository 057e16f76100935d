namespace Reactive.Streams.Testing;

/// <summary>
/// An append-only list read through <see cref="IReadOnlyList{T}"/>: writers are serialized by a lock so a source
/// under test that calls from several threads cannot corrupt the log; readers see the live contents and should read
/// when the scheduler is idle.
/// </summary>
internal sealed class RecordingList<T> : IReadOnlyList<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _gate = new();

    public T this[int index]
    {
        get
        {
            lock (_gate)
            {
                return _items[index];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    public int Add(T item)
    {
        lock (_gate)
        {
            _items.Add(item);
            return _items.Count - 1;
        }
    }

    public void Replace(int index, Func<T, T> update)
    {
        lock (_gate)
        {
            _items[index] = update(_items[index]);
        }
    }

    // Enumerates a snapshot so a concurrent Add cannot fail an assertion that is enumerating.
    public IEnumerator<T> GetEnumerator()
    {
        T[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _items];
        }

        return ((IEnumerable<T>)snapshot).GetEnumerator();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "[" + string.Join(", ", this) + "]";
}
