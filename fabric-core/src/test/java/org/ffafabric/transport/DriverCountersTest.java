package org.ffafabric.transport;

import io.aeron.driver.Configuration;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.status.PublisherPos;
import io.aeron.driver.status.SubscriberPos;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.agrona.concurrent.status.UnsafeBufferPosition;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class DriverCountersTest
{
    @Test
    void aCountersBufferHoldsWhatItIsAskedForInWholePagesAndNeverLessThanAeronsLeast()
    {
        assertEquals(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MIN, DriverCounters.valuesBufferLength(10));
        final long counters = 100_001;
        final int length = DriverCounters.valuesBufferLength(counters);
        assertTrue(DriverCounters.capacity(length) >= counters, "holds them");
        assertEquals(0, length % 4096, "whole pages");
        assertTrue(DriverCounters.capacity(length - 4096) < counters, "no more than a page over");
    }

    /** Its cnc.dat would pass 2 GiB, which Aeron refuses, before the counters reach Aeron's own most. */
    @Test
    void moreCountersThanADriversCncFileHoldsAreRefused()
    {
        final long cncHolds = (Integer.MAX_VALUE - 6L * 1024 * 1024) / 5 / CountersReader.COUNTER_LENGTH;
        assertThrows(IllegalStateException.class, () -> DriverCounters.valuesBufferLength(cncHolds + 1));
        final int largest = DriverCounters.valuesBufferLength(3_000_000);
        assertTrue(AeronTuning.cncFileLength(AeronTuning.driver(new MediaDriver.Context()).counterValuesBufferLength(largest)) <
            Integer.MAX_VALUE, "3 million fit");
    }

    /** Aeron's driver gives a freed counter out again once its reuse deadline has passed, not before. */
    @Test
    void theFreeCountersAreTheUnusedAndThoseFreedPastTheirReuseDeadline()
    {
        final int capacity = 8;
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(System.currentTimeMillis());
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * CountersReader.COUNTER_LENGTH)),
            StandardCharsets.US_ASCII, clock, 60_000);
        assertEquals(capacity, DriverCounters.free(counters));
        assertFalse(DriverCounters.noneFree(counters));
        final int[] ids = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            ids[i] = counters.allocate("c" + i);
        }
        assertEquals(0, DriverCounters.free(counters));
        assertTrue(DriverCounters.noneFree(counters));
        counters.free(ids[3]);
        assertEquals(0, DriverCounters.free(counters), "freed, but not to be reused for a minute");
        assertTrue(DriverCounters.noneFree(counters));

        final CountersManager reusable = new CountersManager(
            counters.metaDataBuffer(), counters.valuesBuffer(), StandardCharsets.US_ASCII, clock, 0);
        reusable.free(ids[5]);
        assertEquals(1, DriverCounters.free(reusable), "freed with no reuse timeout");
        assertFalse(DriverCounters.noneFree(reusable));
    }

    /** A subscriber's position in one session's log is told from another session's, subscription's or kind of counter's. */
    @Test
    void aSubscriberPositionIsFoundByItsSubscriptionAndSessionWhileAllocated()
    {
        final int capacity = 8;
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * CountersReader.COUNTER_LENGTH)));
        final UnsafeBuffer temp = new UnsafeBuffer(new byte[1024]);
        final long subscription = 17;
        final int session = 0x8001_0003;
        assertFalse(DriverCounters.hasSubscriberPosition(counters, subscription, session), "none allocated");

        PublisherPos.allocate(temp, counters, 1, subscription, session, 9, "aeron:ipc", false);
        SubscriberPos.allocate(temp, counters, 1, subscription, session + 1, 9, "aeron:ipc", 0);
        SubscriberPos.allocate(temp, counters, 1, subscription + 1, session, 9, "aeron:ipc", 0);
        assertFalse(DriverCounters.hasSubscriberPosition(counters, subscription, session),
            "a publisher's position, another session's, another subscription's");

        final UnsafeBufferPosition position = SubscriberPos.allocate(temp, counters, 1, subscription, session, 9, "aeron:ipc", 0);
        assertTrue(DriverCounters.hasSubscriberPosition(counters, subscription, session));
        position.close();
        assertFalse(DriverCounters.hasSubscriberPosition(counters, subscription, session), "freed");
    }

    @Test
    void aRefusalForWantOfACounterIsToldFromAnotherByAeronsMessage()
    {
        assertTrue(DriverCounters.isShortage(new RuntimeException("wrapped", new IllegalStateException(
            "unable to allocate counter, buffer is full: maxCounterId=8191"))));
        assertFalse(DriverCounters.isShortage(new IllegalStateException("insufficient usable storage for new log")));
    }
}
