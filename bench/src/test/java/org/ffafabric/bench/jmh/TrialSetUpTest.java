package org.ffafabric.bench.jmh;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TrialSetUpTest
{
    @Test
    void aSetUpThatFailsPartWayIsTornDownAndItsFailureRethrown()
    {
        final List<String> steps = new ArrayList<>();
        final IllegalStateException failure = new IllegalStateException("set-up failed");
        final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> TrialSetUp.run(
            () ->
            {
                steps.add("made");
                throw failure;
            },
            () -> steps.add("torn down")));
        assertSame(failure, thrown);
        assertEquals(List.of("made", "torn down"), steps);
    }

    @Test
    void aTearDownThatAlsoFailsIsSuppressedInTheSetUpsFailure()
    {
        final Exception failure = new java.io.IOException("set-up failed");
        final IllegalStateException closeFailure = new IllegalStateException("close failed");
        final Exception thrown = assertThrows(java.io.IOException.class, () -> TrialSetUp.run(
            () ->
            {
                throw failure;
            },
            () ->
            {
                throw closeFailure;
            }));
        assertSame(failure, thrown);
        assertSame(closeFailure, thrown.getSuppressed()[0]);
    }

    @Test
    void aSetUpThatSucceedsIsNotTornDown() throws Exception
    {
        final List<String> steps = new ArrayList<>();
        TrialSetUp.run(() -> steps.add("made"), () -> steps.add("torn down"));
        assertEquals(List.of("made"), steps);
    }
}
