import { describe, expect, it } from 'vitest'
import {
  defaultSlotNames,
  pickExistingSlot,
  sanitizeSlotName,
  slotNameToCreate,
} from '../../src/replication/slot-name.js'

describe('slot names (docs/behaviour.md#the-replication-slot)', () => {
  it('looks for pipelinewise_<dbname>, then pipelinewise_<dbname>_<tap_id>, sanitized', () => {
    expect(defaultSlotNames({ dbname: 'Shop-DB' })).toEqual(['pipelinewise_shop_db'])
    expect(defaultSlotNames({ dbname: 'Shop-DB', tap_id: 'My Tap.1' })).toEqual([
      'pipelinewise_shop_db',
      'pipelinewise_shop_db_my_tap_1',
    ])
    expect(defaultSlotNames({ dbname: 'shop', tap_id: '' })).toEqual(['pipelinewise_shop'])
  })

  it('takes replication_slot_name as written', () => {
    expect(defaultSlotNames({ dbname: 'shop', tap_id: 'x', replication_slot_name: 'my_slot' })).toEqual([
      'my_slot',
    ])
    expect(slotNameToCreate({ dbname: 'shop', replication_slot_name: 'my_slot' })).toBe('my_slot')
  })

  it('creates the most specific default', () => {
    expect(slotNameToCreate({ dbname: 'shop' })).toBe('pipelinewise_shop')
    expect(slotNameToCreate({ dbname: 'shop', tap_id: 'etl' })).toBe('pipelinewise_shop_etl')
  })

  it('replaces every character outside [a-z0-9_], including non-ASCII', () => {
    expect(sanitizeSlotName('Ünïcode-Dß')).toBe('_n_code_d_')
  })

  it('picks the first candidate that exists', () => {
    expect(pickExistingSlot(['a', 'b'], ['b', 'a'])).toBe('a')
    expect(pickExistingSlot(['a', 'b'], ['b'])).toBe('b')
    expect(pickExistingSlot(['a', 'b'], ['c'])).toBeUndefined()
  })
})
