using System.Numerics;

namespace Monitor.GoCompat;

/// <summary>
/// Go 1.19's sort.Sort (pattern-defeating quicksort, insertion sort up to 12 elements) and container/heap,
/// over a list and a less function. Prometheus picks <c>topk</c>'s ties and orders <c>sort()</c>'s equal
/// values by exactly these steps, so following them gives the same series in the same order.
/// </summary>
internal static class GoSort
{
    /// <summary>sort.Sort(data) with Less = <paramref name="less"/>.</summary>
    public static void Sort<T>(IList<T> data, Func<T, T, bool> less)
    {
        int n = data.Count;
        if (n <= 1)
        {
            return;
        }

        var s = new Sorter<T>(data, less);
        s.Pdqsort(0, n, BitOperations.Log2((uint)n) + 1);
    }

    /// <summary>sort.Sort(sort.Reverse(data)).</summary>
    public static void SortReverse<T>(IList<T> data, Func<T, T, bool> less) => Sort(data, (a, b) => less(b, a));

    /// <summary>heap.Push.</summary>
    public static void HeapPush<T>(List<T> h, T x, Func<T, T, bool> less)
    {
        h.Add(x);
        Up(h, h.Count - 1, less);
    }

    /// <summary>heap.Pop.</summary>
    public static T HeapPop<T>(List<T> h, Func<T, T, bool> less)
    {
        int n = h.Count - 1;
        (h[0], h[n]) = (h[n], h[0]);
        Down(h, 0, n, less);
        var x = h[n];
        h.RemoveAt(n);
        return x;
    }

    private static void Up<T>(List<T> h, int j, Func<T, T, bool> less)
    {
        while (true)
        {
            int i = (j - 1) / 2;
            if (i == j || !less(h[j], h[i]))
            {
                break;
            }

            (h[i], h[j]) = (h[j], h[i]);
            j = i;
        }
    }

    private static void Down<T>(List<T> h, int i0, int n, Func<T, T, bool> less)
    {
        int i = i0;
        while (true)
        {
            int j1 = (2 * i) + 1;
            if (j1 >= n || j1 < 0)
            {
                break;
            }

            int j = j1;
            int j2 = j1 + 1;
            if (j2 < n && less(h[j2], h[j1]))
            {
                j = j2;
            }

            if (!less(h[j], h[i]))
            {
                break;
            }

            (h[i], h[j]) = (h[j], h[i]);
            i = j;
        }
    }

    private sealed class Sorter<T>(IList<T> data, Func<T, T, bool> lessThan)
    {
        private const int IncreasingHint = 1;
        private const int DecreasingHint = 2;

        private bool Less(int i, int j) => lessThan(data[i], data[j]);

        private void Swap(int i, int j) => (data[i], data[j]) = (data[j], data[i]);

        private void InsertionSort(int a, int b)
        {
            for (int i = a + 1; i < b; i++)
            {
                for (int j = i; j > a && Less(j, j - 1); j--)
                {
                    Swap(j, j - 1);
                }
            }
        }

        private void SiftDown(int lo, int hi, int first)
        {
            int root = lo;
            while (true)
            {
                int child = (2 * root) + 1;
                if (child >= hi)
                {
                    break;
                }

                if (child + 1 < hi && Less(first + child, first + child + 1))
                {
                    child++;
                }

                if (!Less(first + root, first + child))
                {
                    return;
                }

                Swap(first + root, first + child);
                root = child;
            }
        }

        private void HeapSort(int a, int b)
        {
            int first = a;
            int hi = b - a;
            for (int i = (hi - 1) / 2; i >= 0; i--)
            {
                SiftDown(i, hi, first);
            }

            for (int i = hi - 1; i >= 0; i--)
            {
                Swap(first, first + i);
                SiftDown(0, i, first);
            }
        }

        public void Pdqsort(int a, int b, int limit)
        {
            const int maxInsertion = 12;
            bool wasBalanced = true;
            bool wasPartitioned = true;
            while (true)
            {
                int length = b - a;
                if (length <= maxInsertion)
                {
                    InsertionSort(a, b);
                    return;
                }

                if (limit == 0)
                {
                    HeapSort(a, b);
                    return;
                }

                if (!wasBalanced)
                {
                    BreakPatterns(a, b);
                    limit--;
                }

                var (pivot, hint) = ChoosePivot(a, b);
                if (hint == DecreasingHint)
                {
                    ReverseRange(a, b);
                    pivot = b - 1 - (pivot - a);
                    hint = IncreasingHint;
                }

                if (wasBalanced && wasPartitioned && hint == IncreasingHint && PartialInsertionSort(a, b))
                {
                    return;
                }

                if (a > 0 && !Less(a - 1, pivot))
                {
                    a = PartitionEqual(a, b, pivot);
                    continue;
                }

                var (mid, alreadyPartitioned) = Partition(a, b, pivot);
                wasPartitioned = alreadyPartitioned;
                int leftLen = mid - a;
                int rightLen = b - mid;
                int balanceThreshold = length / 8;
                if (leftLen < rightLen)
                {
                    wasBalanced = leftLen >= balanceThreshold;
                    Pdqsort(a, mid, limit);
                    a = mid + 1;
                }
                else
                {
                    wasBalanced = rightLen >= balanceThreshold;
                    Pdqsort(mid + 1, b, limit);
                    b = mid;
                }
            }
        }

        private (int Pivot, bool AlreadyPartitioned) Partition(int a, int b, int pivot)
        {
            Swap(a, pivot);
            int i = a + 1;
            int j = b - 1;
            while (i <= j && Less(i, a))
            {
                i++;
            }

            while (i <= j && !Less(j, a))
            {
                j--;
            }

            if (i > j)
            {
                Swap(j, a);
                return (j, true);
            }

            Swap(i, j);
            i++;
            j--;
            while (true)
            {
                while (i <= j && Less(i, a))
                {
                    i++;
                }

                while (i <= j && !Less(j, a))
                {
                    j--;
                }

                if (i > j)
                {
                    break;
                }

                Swap(i, j);
                i++;
                j--;
            }

            Swap(j, a);
            return (j, false);
        }

        private int PartitionEqual(int a, int b, int pivot)
        {
            Swap(a, pivot);
            int i = a + 1;
            int j = b - 1;
            while (true)
            {
                while (i <= j && !Less(a, i))
                {
                    i++;
                }

                while (i <= j && Less(a, j))
                {
                    j--;
                }

                if (i > j)
                {
                    break;
                }

                Swap(i, j);
                i++;
                j--;
            }

            return i;
        }

        private bool PartialInsertionSort(int a, int b)
        {
            const int maxSteps = 5;
            const int shortestShifting = 50;
            int i = a + 1;
            for (int step = 0; step < maxSteps; step++)
            {
                while (i < b && !Less(i, i - 1))
                {
                    i++;
                }

                if (i == b)
                {
                    return true;
                }

                if (b - a < shortestShifting)
                {
                    return false;
                }

                Swap(i, i - 1);
                if (i - a >= 2)
                {
                    for (int j = i - 1; j >= 1; j--)
                    {
                        if (!Less(j, j - 1))
                        {
                            break;
                        }

                        Swap(j, j - 1);
                    }
                }

                if (b - i >= 2)
                {
                    for (int j = i + 1; j < b; j++)
                    {
                        if (!Less(j, j - 1))
                        {
                            break;
                        }

                        Swap(j, j - 1);
                    }
                }
            }

            return false;
        }

        private void BreakPatterns(int a, int b)
        {
            int length = b - a;
            if (length < 8)
            {
                return;
            }

            ulong random = (ulong)length;
            uint modulus = 1u << (BitOperations.Log2((uint)length) + 1);
            for (int idx = a + ((length / 4) * 2) - 1; idx <= a + ((length / 4) * 2) + 1; idx++)
            {
                random ^= random << 13;
                random ^= random >> 17;
                random ^= random << 5;
                int other = (int)((uint)random & (modulus - 1));
                if (other >= length)
                {
                    other -= length;
                }

                Swap(idx, a + other);
            }
        }

        private (int Pivot, int Hint) ChoosePivot(int a, int b)
        {
            const int shortestNinther = 50;
            const int maxSwaps = 4 * 3;
            int l = b - a;
            int swaps = 0;
            int i = a + (l / 4 * 1);
            int j = a + (l / 4 * 2);
            int k = a + (l / 4 * 3);
            if (l >= 8)
            {
                if (l >= shortestNinther)
                {
                    i = Median(i - 1, i, i + 1, ref swaps);
                    j = Median(j - 1, j, j + 1, ref swaps);
                    k = Median(k - 1, k, k + 1, ref swaps);
                }

                j = Median(i, j, k, ref swaps);
            }

            return swaps switch
            {
                0 => (j, IncreasingHint),
                maxSwaps => (j, DecreasingHint),
                _ => (j, 0),
            };
        }

        private (int, int) Order2(int a, int b, ref int swaps)
        {
            if (Less(b, a))
            {
                swaps++;
                return (b, a);
            }

            return (a, b);
        }

        private int Median(int a, int b, int c, ref int swaps)
        {
            (a, b) = Order2(a, b, ref swaps);
            (b, c) = Order2(b, c, ref swaps);
            (_, b) = Order2(a, b, ref swaps);
            return b;
        }

        private void ReverseRange(int a, int b)
        {
            int i = a;
            int j = b - 1;
            while (i < j)
            {
                Swap(i, j);
                i++;
                j--;
            }
        }
    }
}
