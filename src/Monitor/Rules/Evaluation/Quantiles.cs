using Monitor.GoCompat;

namespace Monitor.Rules.Evaluation;

/// <summary>promql/quantile.go: histogram_quantile over classic buckets, and the φ-quantile of a set of values.</summary>
internal static class Quantiles
{
    public readonly record struct Bucket(double UpperBound, double Count);

    /// <summary>bucketQuantile: the buckets sorted, merged by bound, made monotonic, then interpolated linearly.</summary>
    public static double BucketQuantile(double q, List<Bucket> buckets)
    {
        if (double.IsNaN(q))
        {
            return double.NaN;
        }

        if (q < 0)
        {
            return double.NegativeInfinity;
        }

        if (q > 1)
        {
            return double.PositiveInfinity;
        }

        GoSort.Sort(buckets, static (a, b) => a.UpperBound < b.UpperBound);
        if (!double.IsPositiveInfinity(buckets[^1].UpperBound))
        {
            return double.NaN;
        }

        // coalesceBuckets: equal bounds add up.
        var last = buckets[0];
        int n = 0;
        for (int i = 1; i < buckets.Count; i++)
        {
            var b = buckets[i];
            if (b.UpperBound == last.UpperBound)
            {
                last = last with { Count = last.Count + b.Count };
            }
            else
            {
                buckets[n++] = last;
                last = b;
            }
        }

        buckets[n++] = last;
        buckets.RemoveRange(n, buckets.Count - n);

        // ensureMonotonic
        double max = buckets[0].Count;
        for (int i = 1; i < buckets.Count; i++)
        {
            if (buckets[i].Count > max)
            {
                max = buckets[i].Count;
            }
            else if (buckets[i].Count < max)
            {
                buckets[i] = buckets[i] with { Count = max };
            }
        }

        if (buckets.Count < 2)
        {
            return double.NaN;
        }

        double observations = buckets[^1].Count;
        if (observations == 0)
        {
            return double.NaN;
        }

        double rank = q * observations;
        int lo = 0;
        int hi = buckets.Count - 1;
        while (lo < hi)
        {
            int h = (lo + hi) >>> 1;
            if (!(buckets[h].Count >= rank))
            {
                lo = h + 1;
            }
            else
            {
                hi = h;
            }
        }

        int at = lo;
        if (at == buckets.Count - 1)
        {
            return buckets[^2].UpperBound;
        }

        if (at == 0 && buckets[0].UpperBound <= 0)
        {
            return buckets[0].UpperBound;
        }

        double bucketStart = 0;
        double bucketEnd = buckets[at].UpperBound;
        double count = buckets[at].Count;
        if (at > 0)
        {
            bucketStart = buckets[at - 1].UpperBound;
            count -= buckets[at - 1].Count;
            rank -= buckets[at - 1].Count;
        }

        return bucketStart + ((bucketEnd - bucketStart) * (rank / count));
    }

    /// <summary>quantile: the φ-quantile of the values (sorted in place), interpolating between neighbours.</summary>
    public static double Quantile(double q, List<PromSample> values)
    {
        if (values.Count == 0 || double.IsNaN(q))
        {
            return double.NaN;
        }

        if (q < 0)
        {
            return double.NegativeInfinity;
        }

        if (q > 1)
        {
            return double.PositiveInfinity;
        }

        GoSort.Sort(values, static (a, b) => double.IsNaN(a.V) || a.V < b.V);
        double n = values.Count;
        double rank = q * (n - 1);
        double lowerIndex = Math.Max(0, Math.Floor(rank));
        double upperIndex = Math.Min(n - 1, lowerIndex + 1);
        double weight = rank - Math.Floor(rank);
        return (values[(int)lowerIndex].V * (1 - weight)) + (values[(int)upperIndex].V * weight);
    }
}
